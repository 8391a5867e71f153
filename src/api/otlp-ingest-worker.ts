/**
 * The OTLP receiver's ingest worker: decodes and validates export requests into rows, which its
 * writer thread stores with its own SQLite connection. Neither blocks the API's event loop, and
 * decoding one request runs beside writing the one before.
 */
import { parentPort, workerData } from "node:worker_threads";
import { toSpanRow } from "../store/trace-store.ts";
import { startTypeScriptWorker } from "../worker-thread.ts";
import {
  parseExportRequest,
  type IngestReply,
  type IngestRequest,
  type WorkerSettings,
  type WriterReply,
  type WriterSettings,
} from "./otlp-ingest.ts";

/**
 * Rows per transaction. SQLite has one writer at a time: a small transaction (about 2 ms of heavy
 * spans) keeps the in-process exporter, which commits on the event loop, from waiting long for the lock.
 */
const WRITE_BATCH_SPANS = 64;

const { storePath, capacity } = workerData as WorkerSettings;
const writer = startTypeScriptWorker(new URL("./otlp-store-writer.ts", import.meta.url), {
  workerData: { storePath } satisfies WriterSettings,
});
/** Spans accepted and not yet written. */
let queued = 0;
const flushWaiters: number[] = [];

const reply = (message: IngestReply) => parentPort?.postMessage(message);

writer.on("message", ({ rows, lost }: WriterReply) => {
  if (lost !== undefined) reply({ kind: "lost", spans: rows, message: lost });
  queued -= rows;
  reply({ kind: "queued", spans: queued });
  if (queued === 0) for (const id of flushWaiters.splice(0)) reply({ kind: "flushed", id });
});

parentPort?.on("message", (request: IngestRequest) => {
  if (request.kind === "flush") {
    if (queued === 0) reply({ kind: "flushed", id: request.id });
    else flushWaiters.push(request.id);
    return;
  }
  const { body } = request;
  const parsed = parseExportRequest(
    request.format,
    Buffer.from(body.buffer, body.byteOffset, body.byteLength),
  );
  if ("error" in parsed) return reply({ kind: "answer", id: request.id, error: parsed.error });
  const { spans, rejected, errorMessage } = parsed;
  if (queued + spans.length > capacity) return reply({ kind: "answer", id: request.id, full: queued });
  for (let start = 0; start < spans.length; start += WRITE_BATCH_SPANS) {
    writer.postMessage(spans.slice(start, start + WRITE_BATCH_SPANS).map(toSpanRow));
  }
  queued += spans.length;
  reply({ kind: "answer", id: request.id, rejected, errorMessage: errorMessage ?? "" });
});
