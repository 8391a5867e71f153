/**
 * The OTLP receiver's worker thread: decodes, validates and stores export requests with its own
 * SQLite connection, so a large batch never blocks the API's event loop.
 */
import { parentPort, workerData } from "node:worker_threads";
import { TraceStore, type SpanRecord } from "../store/trace-store.ts";
import {
  parseExportRequest,
  type IngestReply,
  type IngestRequest,
  type WorkerSettings,
} from "./otlp-ingest.ts";

const { storePath, capacity, writeBatchSpans } = workerData as WorkerSettings;
const store = new TraceStore(storePath);
const batches: SpanRecord[][] = [];
let queued = 0;
let flushWaiters: number[] = [];

const reply = (message: IngestReply) => parentPort?.postMessage(message);

function writeNextBatch() {
  const batch = batches.shift() ?? [];
  try {
    store.addSpans(batch);
  } catch (error) {
    reply({
      kind: "lost",
      spans: batch.length,
      message: error instanceof Error ? error.message : String(error),
    });
  }
  queued -= batch.length;
  reply({ kind: "queued", spans: queued });
  if (batches.length > 0) setImmediate(writeNextBatch);
  else for (const id of flushWaiters.splice(0)) reply({ kind: "flushed", id });
}

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
  const wasIdle = batches.length === 0;
  for (let start = 0; start < spans.length; start += writeBatchSpans) {
    batches.push(spans.slice(start, start + writeBatchSpans));
  }
  queued += spans.length;
  if (wasIdle && batches.length > 0) setImmediate(writeNextBatch);
  reply({ kind: "answer", id: request.id, rejected, errorMessage: errorMessage ?? "" });
});

process.on("exit", () => {
  flushWaiters = [];
  store.close();
});
