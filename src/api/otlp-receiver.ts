import express, { type ErrorRequestHandler, type Request, type Router } from "express";
import { log } from "../log.ts";
import { decodeOtlpProtobuf, fromOtlpJson, OtlpFormatError, type OtlpImport } from "../store/otlp.ts";
import { encodeExportTraceServiceResponse, OtlpProtobufError } from "../store/otlp-protobuf.ts";
import type { SpanRecord, TraceStore } from "../store/trace-store.ts";
import { ApiError, sendApiError } from "./errors.ts";

export interface OtlpReceiverOptions {
  /** Accepted spans not yet written; a request that would exceed it gets a retryable 429. */
  maxQueuedSpans?: number;
  /** Limit on the (decompressed) request body; larger ones get a 413. */
  maxBodyBytes?: number;
}

export interface OtlpReceiver {
  /** Serves OTLP/HTTP `POST /v1/traces`. Mount it before any JSON body parser, which would consume its bodies. */
  router: Router;
  /** Resolves once every span accepted so far is in the store. */
  flush(): Promise<void>;
  queuedSpans(): number;
}

const FORMATS = { "application/json": "json", "application/x-protobuf": "protobuf" } as const;
type Format = (typeof FORMATS)[keyof typeof FORMATS];

/** Small transactions keep each event-loop turn short however big the request was. */
const WRITE_BATCH_SPANS = 256;
const RETRY_AFTER_SECONDS = 1;

/** An OTLP/HTTP trace receiver (JSON or protobuf, gzip or not) that feeds the local trace store. */
export function createOtlpReceiver(store: TraceStore, options: OtlpReceiverOptions = {}): OtlpReceiver {
  const { maxQueuedSpans = 50_000, maxBodyBytes = 4 * 1024 * 1024 } = options;
  const queue = new IngestQueue(store, maxQueuedSpans);
  const router = express.Router();

  router.post(
    "/v1/traces",
    // Refuse an unsupported Content-Type before reading the body.
    (req, _res, next) => {
      requestFormat(req);
      next();
    },
    express.raw({ type: () => true, limit: maxBodyBytes }),
    (req, res) => {
      const format = requestFormat(req);
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const { spans, rejected, errorMessage = "" } = parseExportRequest(format, body);
      if (!queue.offer(spans)) {
        res.set("Retry-After", String(RETRY_AFTER_SECONDS));
        const message = `the ingest queue holds ${queue.size} of at most ${maxQueuedSpans} spans; retry later`;
        throw new ApiError(429, "queue_full", message);
      }
      // OTLP/HTTP answers in the request's encoding; partialSuccess is set only when spans were rejected.
      const partialSuccess = rejected > 0 ? { rejectedSpans: rejected, errorMessage } : undefined;
      if (format === "json")
        res.json(partialSuccess ? { partialSuccess: { rejectedSpans: String(rejected), errorMessage } } : {});
      else
        res
          .type("application/x-protobuf")
          .send(Buffer.from(encodeExportTraceServiceResponse(partialSuccess)));
    },
  );
  router.use(otlpErrorHandler(maxBodyBytes));

  return { router, flush: () => queue.flush(), queuedSpans: () => queue.size };
}

function requestFormat(req: Request): Format {
  const mediaType = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  const format = FORMATS[mediaType as keyof typeof FORMATS];
  if (format) return format;
  throw new ApiError(
    415,
    "unsupported_media_type",
    "OTLP/HTTP takes application/x-protobuf or application/json",
  );
}

function parseExportRequest(format: Format, body: Buffer): OtlpImport {
  try {
    const request: unknown = format === "json" ? JSON.parse(body.toString("utf8")) : decodeOtlpProtobuf(body);
    return fromOtlpJson(request);
  } catch (error) {
    if (
      error instanceof SyntaxError ||
      error instanceof OtlpFormatError ||
      error instanceof OtlpProtobufError
    )
      throw new ApiError(400, "invalid_otlp", `not an OTLP ${format} trace export: ${error.message}`);
    throw error;
  }
}

/** Body-reading failures in the API's error shape: too large, unknown Content-Encoding, corrupt gzip. */
function otlpErrorHandler(maxBodyBytes: number): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (err instanceof ApiError) return sendApiError(res, err);
    if (err?.type === "entity.too.large")
      return sendApiError(res, new ApiError(413, "payload_too_large", `body exceeds ${maxBodyBytes} bytes`));
    if (err?.type === "encoding.unsupported")
      return sendApiError(
        res,
        new ApiError(415, "unsupported_encoding", "Content-Encoding must be gzip or identity"),
      );
    if (err?.status === 400)
      return sendApiError(res, new ApiError(400, "invalid_otlp", `body could not be read: ${err.message}`));
    next(err);
  };
}

/**
 * Spans accepted but not yet stored, in write-sized batches, one batch written per event-loop turn.
 * Never holds more than `capacity` spans: callers are told to come back instead.
 */
class IngestQueue {
  private queued = 0;
  private readonly batches: SpanRecord[][] = [];
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly store: TraceStore,
    private readonly capacity: number,
  ) {}

  get size(): number {
    return this.queued;
  }

  offer(spans: readonly SpanRecord[]): boolean {
    if (this.queued + spans.length > this.capacity) return false;
    const wasIdle = this.batches.length === 0;
    for (let start = 0; start < spans.length; start += WRITE_BATCH_SPANS)
      this.batches.push(spans.slice(start, start + WRITE_BATCH_SPANS));
    this.queued += spans.length;
    if (wasIdle && this.batches.length > 0) setImmediate(() => this.writeNextBatch());
    return true;
  }

  flush(): Promise<void> {
    if (this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private writeNextBatch() {
    const batch = this.batches.shift() ?? [];
    try {
      this.store.addSpans(batch);
    } catch (error) {
      // The sender already has its 200; all that is left is to say what was lost.
      log.error({ err: error, spans: batch.length }, "OTLP receiver could not store spans; they are lost");
    }
    this.queued -= batch.length;
    if (this.batches.length > 0) setImmediate(() => this.writeNextBatch());
    else for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
