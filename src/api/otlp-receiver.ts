import express, { type ErrorRequestHandler, type Request, type Response, type Router } from "express";
import { log } from "../instrumentation/log.ts";
import type { Worker } from "node:worker_threads";
import { encodeExportTraceServiceResponse } from "../store/otlp-protobuf.ts";
import type { TraceStore } from "../store/trace-store.ts";
import type { IncomingMessage } from "node:http";
import type {
  Encoding,
  Format,
  IngestAnswer,
  IngestReply,
  IngestRequest,
  WorkerSettings,
} from "./otlp-ingest.ts";
import { startModuleWorker } from "../shared/worker-thread.ts";
import { runnableModule } from "../shared/module-form.ts";
import { ApiError, sendApiError } from "./errors.ts";
import type { Config } from "../shared/config.ts";

export interface OtlpReceiverOptions {
  /** Accepted spans not yet written; a request that would exceed it gets a retryable 429. */
  maxQueuedSpans?: number;
  /** Limit on the request body, as sent and decompressed; larger ones get a 413. */
  maxBodyBytes?: number;
  /** Called once a request's spans are committed, with the traces they belong to. */
  onStored?: (traceIds: readonly string[]) => void;
}

export interface OtlpReceiver {
  /** Serves OTLP/HTTP `POST /v1/traces`. Mount it before any JSON body parser, which would consume its bodies. */
  router: Router;
  /** Resolves once every span accepted so far is in the store. */
  flush(): Promise<void>;
  /** Writes what is queued, then stops the ingest worker. */
  close(): Promise<void>;
  queuedSpans(): number;
}

// Maps, not object literals: a header such as `constructor` must not find Object's.
const FORMATS = new Map<string, Format>([
  ["application/json", "json"],
  ["application/x-protobuf", "protobuf"],
]);
const ENCODINGS = new Map<string, Encoding>([
  ["identity", "identity"],
  ["gzip", "gzip"],
]);

const RETRY_AFTER_SECONDS = 1;
const RECEIVER_CLOSED = "the receiver closed";

/**
 * An OTLP/HTTP trace receiver (JSON or protobuf, gzip or not) that feeds the local trace store: a
 * trust boundary, like a Collector. Spans pass the same governance as the in-process exporter's
 * (`config` gives its keys, restricted store and sampling), ingest is append-only, and a 200 is
 * sent once the spans are committed.
 */
export function createOtlpReceiver(
  store: TraceStore,
  config: Config,
  options: OtlpReceiverOptions = {},
): OtlpReceiver {
  const { maxQueuedSpans = 50_000, maxBodyBytes = 4 * 1024 * 1024 } = options;
  // Started on the first export: most API instances (a replay's, say) never receive one.
  let started: IngestWorker | undefined;
  const worker = () => {
    // A failed worker answers 503 for a while, then the next request starts a new one.
    if (!started || (started.failed && Date.now() > started.failed.at + RETRY_AFTER_SECONDS * 1000))
      // The configured location, credentials included: `store.location` is fit for messages only.
      started = new IngestWorker({
        storePath: config.traceStore,
        capacity: maxQueuedSpans,
        maxBodyBytes,
        config,
      });
    return started;
  };
  const router = express.Router();

  const tooLarge = (req: Request, res: Response) => {
    // A body left unread: the connection cannot carry another request.
    if (!req.complete) res.set("Connection", "close");
    return new ApiError(413, "payload_too_large", `body exceeds ${maxBodyBytes} bytes`);
  };

  const queueFull = (res: Response, queued: number) => {
    res.set("Retry-After", String(RETRY_AFTER_SECONDS));
    const message = `the ingest queue holds ${queued} of at most ${maxQueuedSpans} spans; retry later`;
    return new ApiError(429, "queue_full", message);
  };

  router.post("/v1/traces", async (req, res) => {
    // Refuse an unsupported Content-Type or Content-Encoding, a body declared too large, or a full
    // queue, before reading the body.
    const format = requestFormat(req);
    const encoding = requestEncoding(req);
    if (Number(req.headers["content-length"]) > maxBodyBytes) throw tooLarge(req, res);
    const queued = started?.queued ?? 0;
    if (queued >= maxQueuedSpans) throw queueFull(res, queued);
    const answer = await worker().ingest(req, format, encoding);
    if ("tooLarge" in answer) throw tooLarge(req, res);
    if ("error" in answer) throw new ApiError(400, "invalid_otlp", answer.error);
    if ("failed" in answer) {
      log.error({ reason: answer.failed }, "OTLP spans not stored; the sender was told to retry");
      res.set("Retry-After", String(RETRY_AFTER_SECONDS));
      throw new ApiError(
        503,
        "ingest_unavailable",
        `the ingest worker failed (${answer.failed}); retry later`,
      );
    }
    if ("full" in answer) throw queueFull(res, answer.full);
    // OTLP/HTTP answers in the request's encoding; partialSuccess is set only when spans were rejected.
    const { rejected, errorMessage, traceIds } = answer;
    options.onStored?.(traceIds);
    const partialSuccess = rejected > 0 ? { rejectedSpans: rejected, errorMessage } : undefined;
    if (format === "json")
      res.json(partialSuccess ? { partialSuccess: { rejectedSpans: String(rejected), errorMessage } } : {});
    else
      res.type("application/x-protobuf").send(Buffer.from(encodeExportTraceServiceResponse(partialSuccess)));
  });
  router.use(otlpErrorHandler);

  return {
    router,
    flush: async () => started?.flush(),
    queuedSpans: () => started?.queued ?? 0,
    close: async () => {
      await started?.close();
      started = undefined;
    },
  };
}

function requestFormat(req: Request): Format {
  const mediaType = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  const format = FORMATS.get(mediaType);
  if (format) return format;
  throw new ApiError(
    415,
    "unsupported_media_type",
    "OTLP/HTTP takes application/x-protobuf or application/json",
  );
}

function requestEncoding(req: Request): Encoding {
  // An empty header, as body-parser took it, means identity.
  const encoding = ENCODINGS.get((req.headers["content-encoding"] || "identity").trim().toLowerCase());
  if (encoding) return encoding;
  throw new ApiError(415, "unsupported_encoding", "Content-Encoding must be gzip or identity");
}

/** The receiver's refusals in the API's error shape. */
const otlpErrorHandler: ErrorRequestHandler = (err, _req, res, next) => {
  if (err instanceof ApiError) return sendApiError(res, err);
  next(err);
};

/**
 * The main thread's side of the ingest worker: one request in flight per export, answered when the
 * worker has decoded it and queued its spans (or refused them: not OTLP, or the queue is full).
 */
class IngestWorker {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, (reply: IngestAnswer | { kind: "flushed" }) => void>();
  private nextId = 1;
  private closing = false;
  /** Spans accepted but not yet stored, as the worker last reported. */
  queued = 0;
  /** Why and when the worker stopped on its own, if it did: it then answers every request with this. */
  failed: { reason: string; at: number } | undefined;

  constructor(private readonly settings: WorkerSettings) {
    this.worker = startModuleWorker(runnableModule("src/api/otlp-ingest-worker"), {
      workerData: settings,
    });
    this.worker.unref();
    this.worker.on("message", (reply: IngestReply) => {
      if (reply.kind === "queued") this.queued = reply.spans;
      else {
        this.waiting.get(reply.id)?.(reply);
        this.waiting.delete(reply.id);
      }
    });
    this.worker.on("error", (error) => this.fail(error.message));
    this.worker.on("exit", (code) => {
      if (!this.closing) this.fail(`exited with code ${code}`);
    });
  }

  private fail(reason: string) {
    if (this.failed) return;
    this.failed = { reason, at: Date.now() };
    log.error({ reason, spans: this.queued }, "OTLP ingest worker failed; the spans it had queued are lost");
    this.queued = 0;
    for (const [id, resolve] of this.waiting) resolve({ kind: "answer", id, failed: reason });
    this.waiting.clear();
  }

  async ingest(body: IncomingMessage, format: Format, encoding: Encoding): Promise<IngestAnswer> {
    const id = this.nextId++;
    const sent = await this.sendBody(id, body);
    if (sent !== "sent") {
      this.post({ kind: "discard", id });
      return { kind: "answer", id, ...sent };
    }
    if (this.failed) return { kind: "answer", id, failed: this.failed.reason };
    if (this.closing) return { kind: "answer", id, failed: RECEIVER_CLOSED };
    return new Promise((resolve) => {
      this.waiting.set(id, resolve as (reply: IngestAnswer | { kind: "flushed" }) => void);
      this.post({ kind: "ingest", id, format, encoding });
    });
  }

  /**
   * Moves the body to the worker chunk by chunk as it arrives, so that the API's thread never holds
   * a whole one: the memory of assembled bodies set off garbage collections on this thread that
   * delayed its event loop.
   */
  private sendBody(
    id: number,
    body: IncomingMessage,
  ): Promise<"sent" | { tooLarge: true } | { error: string }> {
    return new Promise((resolve) => {
      let received = 0;
      const onChunk = (chunk: Buffer) => {
        received += chunk.byteLength;
        if (received > this.settings.maxBodyBytes) {
          body.off("data", onChunk).pause();
          return resolve({ tooLarge: true });
        }
        // A chunk read from the socket owns its memory and moves without a copy; one that shares
        // Node's buffer pool must not be transferred.
        const { buffer } = chunk;
        const owned = buffer instanceof ArrayBuffer && chunk.byteLength === buffer.byteLength;
        const bytes = owned ? new Uint8Array(buffer) : new Uint8Array(chunk);
        this.post({ kind: "chunk", id, bytes }, [bytes.buffer]);
      };
      body
        .on("data", onChunk)
        .once("end", () => resolve("sent"))
        .once("error", (error) => resolve({ error: `body could not be read: ${error.message}` }))
        .once("close", () => resolve({ error: "body could not be read: the request was aborted" }));
    });
  }

  private post(request: IngestRequest, transfer: ArrayBuffer[] = []) {
    this.worker.postMessage(request, transfer);
  }

  async close(): Promise<void> {
    await this.flush();
    this.closing = true;
    await this.worker.terminate();
    // A request whose body was still arriving gets its answer: the receiver is gone.
    for (const [id, resolve] of this.waiting) resolve({ kind: "answer", id, failed: RECEIVER_CLOSED });
    this.waiting.clear();
  }

  flush(): Promise<void> {
    const id = this.nextId++;
    if (this.failed) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting.set(id, () => resolve());
      this.post({ kind: "flush", id });
    });
  }
}
