/**
 * The OTLP ingest worker's writer thread: stores the rows of one export request, then answers, so
 * the receiver acknowledges only spans that are committed. The ingest worker decodes the next
 * request meanwhile.
 */
import { parentPort, workerData } from "node:worker_threads";
import { openTraceStore } from "../store/trace-store.ts";
import type { WriterReply, WriterRequest, WriterSettings } from "./otlp-ingest.ts";
import { runInBackground } from "../shared/thread-priority.ts";

/**
 * Rows per transaction. SQLite has one writer at a time: a small transaction (about 2 ms of heavy
 * spans) keeps the in-process exporter, which commits on the event loop, from waiting long for the lock.
 */
const WRITE_BATCH_SPANS = 64;

const { storePath } = workerData as WriterSettings;
// Requests come first: the API's thread waits for no core while this one writes.
runInBackground();
// One request at a time: one connection is all it uses.
const store = await openTraceStore(storePath, { maxConnections: 1 });

// One request at a time, in order: each answer counts the rows of its own request.
let writing = Promise.resolve();
parentPort?.on("message", (request: WriterRequest) => {
  writing = writing.then(() => write(request));
});

async function write({ id, rows }: WriterRequest) {
  let inserted = 0;
  try {
    for (let start = 0; start < rows.length; start += WRITE_BATCH_SPANS) {
      inserted += await store.addRows(rows.slice(start, start + WRITE_BATCH_SPANS));
    }
    parentPort?.postMessage({ id, rows: rows.length, inserted } satisfies WriterReply);
  } catch (error) {
    // Some transactions may have committed: a retry stores the rest, and ingest refuses the duplicates.
    const lost = error instanceof Error ? error.message : String(error);
    parentPort?.postMessage({ id, rows: rows.length, inserted, lost } satisfies WriterReply);
  }
}

// The thread is ending: a store that fails to close has nothing left to lose.
process.on("exit", () => store.close().catch(() => {}));
