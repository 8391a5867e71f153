import { SpanKind, SpanStatusCode, type Attributes, type HrTime } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { SemanticConventions } from "@arizeai/openinference-semantic-conventions";
import type { SpanRecord } from "../store/trace-store.ts";

const STATUS = {
  [SpanStatusCode.UNSET]: "UNSET",
  [SpanStatusCode.OK]: "OK",
  [SpanStatusCode.ERROR]: "ERROR",
} as const;

const toNs = ([seconds, nanos]: HrTime): bigint => BigInt(seconds) * 1_000_000_000n + BigInt(nanos);

/** An SDK span as the store keeps it. */
export function toSpanRecord(span: ReadableSpan): SpanRecord {
  const context = span.spanContext();
  const oiKind = span.attributes[SemanticConventions.OPENINFERENCE_SPAN_KIND];
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? null,
    name: span.name,
    service: String(span.resource.attributes["service.name"] ?? "unknown_service"),
    spanKind: SpanKind[span.kind],
    oiKind: typeof oiKind === "string" ? oiKind : null,
    startNs: toNs(span.startTime),
    endNs: toNs(span.endTime),
    statusCode: STATUS[span.status.code],
    statusMessage: span.status.message ?? null,
    attributes: { ...span.attributes },
    events: span.events.map((event) => ({
      name: event.name,
      timeNs: toNs(event.time).toString(),
      attributes: { ...(event.attributes as Attributes | undefined) },
    })),
    links: span.links.map((link) => ({
      traceId: link.context.traceId,
      spanId: link.context.spanId,
      attributes: { ...link.attributes },
    })),
    resource: { ...span.resource.attributes },
    scope: { name: span.instrumentationScope.name, version: span.instrumentationScope.version },
  };
}
