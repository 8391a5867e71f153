/** What both OTLP encodings (JSON and protobuf) share on the way into the store. */
import type { SpanRecord } from "./trace-store.ts";

export interface OtlpImport {
  spans: SpanRecord[];
  /** Spans left out as invalid; `errorMessage` then says why the first one was. */
  rejected: number;
  errorMessage?: string;
}

/** SpanRecord kinds by OTLP enum value; UNSPECIFIED (0) reads as INTERNAL, as the spec advises. */
export const SPAN_KINDS: readonly string[] = [
  "INTERNAL",
  "INTERNAL",
  "SERVER",
  "CLIENT",
  "PRODUCER",
  "CONSUMER",
];
export const STATUS_CODES = ["UNSET", "OK", "ERROR"] as const;

export const invalidIdMessage = (bytes: number) => `expected ${bytes * 2} hex characters, not all zero`;

export const serviceOf = (resource: Record<string, unknown>): string =>
  String(resource["service.name"] ?? "unknown_service");

export function oiKindOf(attributes: Record<string, unknown>): string | null {
  const kind = attributes["openinference.span.kind"];
  return typeof kind === "string" ? kind : null;
}

/** The import's result; `rejections` are "field: reason" texts, one per rejected span. */
export function otlpImport(spans: SpanRecord[], rejections: readonly string[]): OtlpImport {
  const [first] = rejections;
  if (first === undefined) return { spans, rejected: 0 };
  const errorMessage = `${rejections.length} span(s) rejected, the first for ${first}`;
  return { spans, rejected: rejections.length, errorMessage };
}
