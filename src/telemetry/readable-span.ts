import { SpanKind, SpanStatusCode, type Attributes, type HrTime } from "@opentelemetry/api";
import { resourceFromAttributes, type Resource } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import type { SpanRecord } from "../store/trace-store.ts";

/** SpanRecords as the finished SDK spans a BatchSpanProcessor hands its exporter. */

const STATUS_CODES = { UNSET: SpanStatusCode.UNSET, OK: SpanStatusCode.OK, ERROR: SpanStatusCode.ERROR };
const SAMPLED = 1;

const hrTime = (ns: bigint): HrTime => [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];

/** One Resource per distinct set of resource attributes, as in the SDK, where a process's spans share one. */
const resources = new Map<string, Resource>();

function resourceOf(span: SpanRecord): Resource {
  const key = JSON.stringify(span.resource);
  let resource = resources.get(key);
  if (!resource) resources.set(key, (resource = resourceFromAttributes(span.resource as Attributes)));
  return resource;
}

export function toReadableSpan(span: SpanRecord): ReadableSpan {
  const context = { traceId: span.traceId, spanId: span.spanId, traceFlags: SAMPLED };
  return {
    name: span.name,
    kind: SpanKind[span.spanKind as keyof typeof SpanKind],
    spanContext: () => context,
    parentSpanContext: span.parentSpanId
      ? { traceId: span.traceId, spanId: span.parentSpanId, traceFlags: SAMPLED }
      : undefined,
    startTime: hrTime(span.startNs),
    endTime: hrTime(span.endNs),
    duration: hrTime(span.endNs - span.startNs),
    status: {
      code: STATUS_CODES[span.statusCode],
      ...(span.statusMessage !== null && { message: span.statusMessage }),
    },
    attributes: span.attributes as Attributes,
    links: span.links.map((link) => ({
      context: { traceId: link.traceId, spanId: link.spanId, traceFlags: SAMPLED },
      attributes: link.attributes as Attributes,
    })),
    events: span.events.map((event) => ({
      name: event.name,
      time: hrTime(BigInt(event.timeNs)),
      attributes: event.attributes as Attributes,
    })),
    ended: true,
    resource: resourceOf(span),
    instrumentationScope: span.scope ?? { name: "unknown" },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}
