/**
 * The OTLP ingest worker's writer thread: stores the rows the ingest worker has decoded, one
 * transaction per message, while the ingest worker decodes the next request.
 */
import { parentPort, workerData } from "node:worker_threads";
import { TraceStore, type SpanRow } from "../store/trace-store.ts";
import type { WriterReply, WriterSettings } from "./otlp-ingest.ts";

const { storePath } = workerData as WriterSettings;
const store = new TraceStore(storePath);

parentPort?.on("message", (rows: SpanRow[]) => {
  try {
    store.addRows(rows);
    parentPort?.postMessage({ rows: rows.length } satisfies WriterReply);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    parentPort?.postMessage({ rows: rows.length, lost: message } satisfies WriterReply);
  }
});

process.on("exit", () => store.close());
