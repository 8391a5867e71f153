/** What the trace store holds, as the application sees it and as its rows hold it. */
import type { FeedbackOutcome } from "../contracts/vocabulary.ts";

/** One stored span. Times are nanoseconds since the epoch (bigint: they exceed 2^53). */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  service: string;
  /** OpenTelemetry span kind: INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER. */
  spanKind: string;
  /** OpenInference span kind (`openinference.span.kind`), when the span has one. */
  oiKind: string | null;
  startNs: bigint;
  endNs: bigint;
  statusCode: "UNSET" | "OK" | "ERROR";
  statusMessage: string | null;
  attributes: Record<string, unknown>;
  events: { name: string; timeNs: string; attributes: Record<string, unknown> }[];
  links: { traceId: string; spanId: string; attributes: Record<string, unknown> }[];
  resource: Record<string, unknown>;
  scope: { name: string; version?: string | undefined } | null;
}

export interface AnnotationRecord {
  traceId: string;
  spanId: string | null;
  name: string;
  annotatorKind: "HUMAN" | "CODE" | "LLM";
  label: string | null;
  score: number | null;
  explanation: string | null;
  /** Upsert key: an annotation with the same span, name and identifier replaces the earlier one. */
  identifier: string;
  metadata: Record<string, unknown>;
  createdAt: string;
}

export interface FeedbackRecord {
  traceId: string;
  outcome: FeedbackOutcome;
  comment: string | null;
  receivedAt: string;
}

/** A span as the `spans` table holds it: attributes, events, links, resource and scope as JSON text. */
export interface SpanRow {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  service: string;
  span_kind: string;
  oi_kind: string | null;
  start_ns: bigint;
  end_ns: bigint;
  status_code: SpanRecord["statusCode"];
  status_message: string | null;
  attributes: string;
  events: string;
  links: string;
  resource: string;
  scope: string | null;
}

export function toSpanRow(span: SpanRecord): SpanRow {
  return {
    trace_id: span.traceId,
    span_id: span.spanId,
    parent_span_id: span.parentSpanId,
    name: span.name,
    service: span.service,
    span_kind: span.spanKind,
    oi_kind: span.oiKind,
    start_ns: span.startNs,
    end_ns: span.endNs,
    status_code: span.statusCode,
    status_message: span.statusMessage,
    attributes: JSON.stringify(span.attributes),
    events: JSON.stringify(span.events),
    links: JSON.stringify(span.links),
    resource: JSON.stringify(span.resource),
    scope: span.scope ? JSON.stringify(span.scope) : null,
  };
}

export function fromRow(row: SpanRow): SpanRecord {
  return {
    traceId: row.trace_id,
    spanId: row.span_id,
    parentSpanId: row.parent_span_id,
    name: row.name,
    service: row.service,
    spanKind: row.span_kind,
    oiKind: row.oi_kind,
    startNs: BigInt(row.start_ns),
    endNs: BigInt(row.end_ns),
    statusCode: row.status_code,
    statusMessage: row.status_message,
    attributes: JSON.parse(row.attributes) as SpanRecord["attributes"],
    events: JSON.parse(row.events) as SpanRecord["events"],
    links: JSON.parse(row.links) as SpanRecord["links"],
    resource: JSON.parse(row.resource) as SpanRecord["resource"],
    scope: row.scope ? (JSON.parse(row.scope) as SpanRecord["scope"]) : null,
  };
}
