import type { Context } from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { Governance } from "../governance/runtime.ts";

/** Rewrites a finished span before it reaches any exporter; returns the span to export. */
export type SpanTransform = (span: ReadableSpan) => ReadableSpan;

/**
 * Runs every finished span through `transform` before handing it to the export processors, so
 * nothing reaches the store or an OTLP backend untransformed.
 */
export class GovernedSpanProcessor implements SpanProcessor {
  constructor(
    private readonly transform: SpanTransform,
    private readonly exportProcessors: readonly SpanProcessor[],
  ) {}

  onStart(span: Span, parentContext: Context): void {
    for (const processor of this.exportProcessors) processor.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    const governed = this.transform(span);
    for (const processor of this.exportProcessors) processor.onEnd(governed);
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.exportProcessors.map((processor) => processor.forceFlush()));
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.exportProcessors.map((processor) => processor.shutdown()));
  }
}

/**
 * `span` with another name, attributes and events. Everything else reads through to the original,
 * fields and methods a later SDK adds included, rather than being copied field by field.
 */
export function withData(
  span: ReadableSpan,
  data: { name?: string; attributes: ReadableSpan["attributes"]; events?: ReadableSpan["events"] },
): ReadableSpan {
  return Object.create(span, {
    name: { value: data.name ?? span.name, enumerable: true },
    attributes: { value: data.attributes, enumerable: true },
    events: { value: data.events ?? span.events, enumerable: true },
  }) as ReadableSpan;
}

/** `error.type` is a string in OTel semantic conventions; undici's instrumentation sometimes writes a number. */
export const normalizeErrorType: SpanTransform = (span) => {
  const errorType = span.attributes["error.type"];
  if (errorType === undefined || typeof errorType === "string") return span;
  return withData(span, { attributes: { ...span.attributes, "error.type": String(errorType) } });
};

/** Redaction, pseudonymization and payload tiers (src/governance) applied to an SDK span. */
export function governSpans(governance: Governance): SpanTransform {
  return (span) => {
    const { traceId, spanId } = span.spanContext();
    const governed = governance.govern({
      traceId,
      spanId,
      name: span.name,
      attributes: span.attributes,
      events: span.events,
    });
    return withData(span, {
      name: governed.name,
      attributes: governed.attributes as ReadableSpan["attributes"],
      events: span.events.map((event, index) => ({
        ...event,
        name: governed.events[index]?.name ?? event.name,
        attributes: governed.events[index]?.attributes as ReadableSpan["attributes"],
      })),
    });
  };
}
