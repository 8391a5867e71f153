/** The messages between the OTLP receiver, its ingest worker and the worker's writer thread. */
import { fromOtlpJson, OtlpFormatError } from "../store/otlp.ts";
import type { OtlpImport } from "../store/otlp-common.ts";
import { decodeOtlpProtobuf, OtlpProtobufError } from "../store/otlp-protobuf.ts";
import type { SpanRow } from "../store/trace-store.ts";
import type { Config } from "../shared/config.ts";

export type Format = "json" | "protobuf";

export interface WorkerSettings {
  storePath: string;
  capacity: number;
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

export type IngestRequest =
  { kind: "ingest"; id: number; format: Format; body: Uint8Array } | { kind: "flush"; id: number };

export type IngestAnswer =
  /** Stored: `traceIds` are the traces the request's spans belong to. */
  | { kind: "answer"; id: number; rejected: number; errorMessage: string; traceIds: string[] }
  | { kind: "answer"; id: number; error: string }
  | { kind: "answer"; id: number; full: number }
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
