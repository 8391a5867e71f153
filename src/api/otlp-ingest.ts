/** The messages between the OTLP receiver, its ingest worker and the worker's writer thread. */
import { fromOtlpJson, OtlpFormatError } from "../store/otlp.ts";
import type { OtlpImport } from "../store/otlp-common.ts";
import { decodeOtlpProtobuf, OtlpProtobufError } from "../store/otlp-protobuf.ts";
import type { SpanRow } from "../store/trace-store.ts";
import type { Config } from "../shared/config.ts";

export type Format = "json" | "protobuf";

/** The Content-Encodings OTLP/HTTP defines. */
export type Encoding = "identity" | "gzip";

export interface WorkerSettings {
  storePath: string;
  capacity: number;
  /** Limit on a request body once decompressed. */
  maxBodyBytes: number;
  /** Governance settings: keys, the restricted store, sampling. */
  config: Config;
}

export interface WriterSettings {
  storePath: string;
}

/** One export request's governed rows, for the writer thread. */
export interface WriterRequest {
  id: number;
  rows: SpanRow[];
}

/** The writer thread's answer to one request: how many rows were new (the rest were duplicates), or why none is durable. */
export interface WriterReply {
  id: number;
  rows: number;
  inserted: number;
  lost?: string;
}

/**
 * A request body reaches the worker as the API's thread reads it, chunk by chunk (each chunk's memory
 * moves, no copy), then `ingest` says how to read it, or `discard` that it will never be complete.
 */
export type IngestRequest =
  | { kind: "chunk"; id: number; bytes: Uint8Array }
  | { kind: "ingest"; id: number; format: Format; encoding: Encoding }
  | { kind: "discard"; id: number }
  | { kind: "flush"; id: number };

export type IngestAnswer =
  /** Stored: `traceIds` are the traces the request's spans belong to. */
  | { kind: "answer"; id: number; rejected: number; errorMessage: string; traceIds: string[] }
  | { kind: "answer"; id: number; error: string }
  | { kind: "answer"; id: number; full: number }
  /** Over `maxBodyBytes` once decompressed. */
  | { kind: "answer"; id: number; tooLarge: true }
  /** Written by the main thread when the worker died before answering. */
  | { kind: "answer"; id: number; failed: string };

export type IngestReply = IngestAnswer | { kind: "flushed"; id: number } | { kind: "queued"; spans: number };

/** Decodes and validates one export request; a body that is not OTLP at all is an error, bad spans are counted. */
export function parseExportRequest(format: Format, body: Buffer): OtlpImport | { error: string } {
  try {
    return format === "json" ? fromOtlpJson(JSON.parse(body.toString("utf8"))) : decodeOtlpProtobuf(body);
  } catch (error) {
    if (
      error instanceof SyntaxError ||
      error instanceof OtlpFormatError ||
      error instanceof OtlpProtobufError
    ) {
      return { error: `not an OTLP ${format} trace export: ${error.message}` };
    }
    // Both decoders recurse into array and map values; a hostile body can nest them beyond the stack.
    if (error instanceof RangeError) return { error: `OTLP ${format} attribute values nested too deeply` };
    throw error;
  }
}
