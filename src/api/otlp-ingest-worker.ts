/**
 * The OTLP receiver's ingest worker: decodes, validates and governs export requests into rows,
 * which its writer thread stores with its own SQLite connection. Neither blocks the API's event
 * loop, and decoding one request runs beside writing the one before. A request is answered once
 * its rows are committed: a 200 means the spans survive a crash of the server.
 */
import { parentPort, workerData } from "node:worker_threads";
import { gunzipSync } from "node:zlib";
import { toSpanRow } from "../store/records.ts";
import { governanceFor } from "../governance/runtime.ts";
import { governSpanRecords } from "../governance/span-records.ts";
import { startModuleWorker } from "../shared/worker-thread.ts";
import { runnableModule } from "../shared/module-form.ts";
import { runInBackground } from "../shared/thread-priority.ts";
import {
  parseExportRequest,
  type Encoding,
  type Format,
  type IngestReply,
  type IngestRequest,
  type WorkerSettings,
  type WriterReply,
  type WriterRequest,
  type WriterSettings,
} from "./otlp-ingest.ts";

const { storePath, capacity, maxBodyBytes, config } = workerData as WorkerSettings;
// Requests come first: the API's thread waits for no core while this one decodes.
runInBackground();
const governance = governanceFor(config);
const writer = startModuleWorker(runnableModule("src/api/otlp-store-writer"), {
  workerData: { storePath } satisfies WriterSettings,
});
/** Spans accepted and not yet written. */
let queued = 0;
/** What the decoder refused of each request being written, and its traces, for its answer. */
const writing = new Map<number, { rejected: number; errorMessage: string; traceIds: string[] }>();
const flushWaiters: number[] = [];
/** The chunks of each request body still arriving. */
const bodies = new Map<number, Uint8Array[]>();

const reply = (message: IngestReply) => parentPort?.postMessage(message);

writer.on("message", ({ id, rows, inserted, lost }: WriterReply) => {
  queued -= rows;
  reply({ kind: "queued", spans: queued });
  const decoded = writing.get(id) ?? { rejected: 0, errorMessage: "", traceIds: [] };
  writing.delete(id);
  if (lost !== undefined) {
    reply({ kind: "answer", id, failed: `the store did not take the spans (${lost})` });
  } else {
    const duplicates = rows - inserted;
    const refused = duplicates > 0 ? `${duplicates} span(s) already stored: ingest is append-only` : "";
    reply({
      kind: "answer",
      id,
      rejected: decoded.rejected + duplicates,
      errorMessage: [decoded.errorMessage, refused].filter(Boolean).join("; "),
      traceIds: decoded.traceIds,
    });
  }
  if (queued === 0) for (const waiter of flushWaiters.splice(0)) reply({ kind: "flushed", id: waiter });
});

parentPort?.on("message", (request: IngestRequest) => {
  switch (request.kind) {
    case "chunk": {
      const chunks = bodies.get(request.id);
      if (chunks) chunks.push(request.bytes);
      else bodies.set(request.id, [request.bytes]);
      return;
    }
    case "discard":
      return bodies.delete(request.id);
    case "flush":
      if (queued === 0) reply({ kind: "flushed", id: request.id });
      else flushWaiters.push(request.id);
      return;
    case "ingest":
      return ingest(request.id, request.format, request.encoding);
  }
});

function ingest(id: number, format: Format, encoding: Encoding) {
  const chunks = bodies.get(id) ?? [];
  bodies.delete(id);
  // Admission before decompressing and decoding: a full queue costs a refused request nothing.
  if (queued >= capacity) return reply({ kind: "answer", id, full: queued });
  const body = readBody(chunks, encoding);
  if ("tooLarge" in body) return reply({ kind: "answer", id, tooLarge: true });
  if ("error" in body) return reply({ kind: "answer", id, error: body.error });
  const parsed = parseExportRequest(format, body.bytes);
  if ("error" in parsed) return reply({ kind: "answer", id, error: parsed.error });
  const { spans, rejected, errorMessage } = parsed;
  if (queued + spans.length > capacity) return reply({ kind: "answer", id, full: queued });
  const rows = governSpanRecords(governance, spans).map(toSpanRow);
  const traceIds = [...new Set(rows.map((row) => row.trace_id))];
  writing.set(id, { rejected, errorMessage: errorMessage ?? "", traceIds });
  writer.postMessage({ id, rows } satisfies WriterRequest);
  queued += spans.length;
  // The main thread refuses bodies while the queue is full: it must know at once.
  reply({ kind: "queued", spans: queued });
}

/** The body as sent, decompressed within `maxBodyBytes`; or why it cannot be read. */
function readBody(
  chunks: Uint8Array[],
  encoding: Encoding,
): { bytes: Buffer } | { tooLarge: true } | { error: string } {
  const body = Buffer.concat(chunks);
  if (encoding === "identity") return { bytes: body };
  try {
    return { bytes: gunzipSync(body, { maxOutputLength: maxBodyBytes }) };
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") return { tooLarge: true };
    return { error: `body could not be read: ${(error as Error).message}` };
  }
}
