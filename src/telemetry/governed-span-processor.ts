import type { Context } from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { Governance } from "../governance/runtime.ts";
import { log } from "../instrumentation/log.ts";
import type { Warn } from "./reported-exporter.ts";

/** Rewrites a finished span before it reaches any exporter; returns the span to export. */
export type SpanTransform = (span: ReadableSpan) => ReadableSpan;

const WARNING_INTERVAL_MS = 60_000;

/**
 * Hands the export processors every finished span through `transform`, so nothing reaches the store
 * or an OTLP backend untransformed. The transform (governance: a secret scan of every value) runs
 * when an exporter first reads the span, in its batch export, not as the span ends: off the request
 * path, and once however many exporters read it.
 *
 * A transform that throws must neither let the raw span through nor fail the exporter's whole batch:
 * the span is exported without its name, attributes and events (as `governance failed`), and the failure
 * is logged at most once a minute.
 */
export class GovernedSpanProcessor implements SpanProcessor {
  private failuresSinceWarning = 0;
  private lastWarningAt = -Infinity;

  constructor(
    private readonly transform: SpanTransform,
    private readonly exportProcessors: readonly SpanProcessor[],
    private readonly warn: Warn = (fields, message) => log.warn(fields, message),
    private readonly now: () => number = Date.now,
  ) {}

  onStart(span: Span, parentContext: Context): void {
    for (const processor of this.exportProcessors) processor.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    const governed = new TransformedSpan(span, this.transformOrStrip);
    for (const processor of this.exportProcessors) processor.onEnd(governed);
  }

  private readonly transformOrStrip: SpanTransform = (span) => {
    try {
      return this.transform(span);
    } catch (error) {
      this.reportFailure(error);
      return withData(span, {
        name: "governance failed",
        attributes: { "error.type": "governance_failed" },
        events: [],
      });
    }
  };

  private reportFailure(error: unknown) {
    this.failuresSinceWarning++;
    const now = this.now();
    if (now - this.lastWarningAt < WARNING_INTERVAL_MS) return;
    this.warn(
      {
        stripped_spans: this.failuresSinceWarning,
        error_type: error instanceof Error ? error.name : typeof error,
      },
      "span governance failed: spans exported without their data",
    );
    this.lastWarningAt = now;
    this.failuresSinceWarning = 0;
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.exportProcessors.map((processor) => processor.forceFlush()));
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.exportProcessors.map((processor) => processor.shutdown()));
  }
}

/**
 * A finished span seen through a wrapper that may change its name, attributes and events, and reads
 * every other field from the original. Classes rather than `Object.create(span, …)`: an object made
 * a prototype, and one made from property descriptors, are slow to build and to read in V8, and every
 * span passes here two or three times (a tenth of the telemetry's added CPU went to it).
 */
abstract class SpanView implements ReadableSpan {
  constructor(readonly original: ReadableSpan) {}

  abstract readonly name: string;
  abstract readonly attributes: ReadableSpan["attributes"];
  abstract readonly events: ReadableSpan["events"];

  spanContext() {
    return this.original.spanContext();
  }
  get kind() {
    return this.original.kind;
  }
  get parentSpanContext() {
    return this.original.parentSpanContext;
  }
  get startTime() {
    return this.original.startTime;
  }
  get endTime() {
    return this.original.endTime;
  }
  get status() {
    return this.original.status;
  }
  get links() {
    return this.original.links;
  }
  get duration() {
    return this.original.duration;
  }
  get ended() {
    return this.original.ended;
  }
  get resource() {
    return this.original.resource;
  }
  get instrumentationScope() {
    return this.original.instrumentationScope;
  }
  get droppedAttributesCount() {
    return this.original.droppedAttributesCount;
  }
  get droppedEventsCount() {
    return this.original.droppedEventsCount;
  }
  get droppedLinksCount() {
    return this.original.droppedLinksCount;
  }
}

/** `original` through `transform`, run at the first read of its name, attributes or events. */
class TransformedSpan extends SpanView {
  private result: ReadableSpan | undefined;

  constructor(
    original: ReadableSpan,
    private readonly transform: SpanTransform,
  ) {
    super(original);
  }

  private get transformed(): ReadableSpan {
    return (this.result ??= this.transform(this.original));
  }
  get name() {
    return this.transformed.name;
  }
  get attributes() {
    return this.transformed.attributes;
  }
  get events() {
    return this.transformed.events;
  }
}

class SpanWithData extends SpanView {
  constructor(
    original: ReadableSpan,
    readonly name: string,
    readonly attributes: ReadableSpan["attributes"],
    readonly events: ReadableSpan["events"],
  ) {
    super(original);
  }
}

/** `span` with another name, attributes and events; every other field is read from the original. */
export function withData(
  span: ReadableSpan,
  data: { name?: string; attributes: ReadableSpan["attributes"]; events?: ReadableSpan["events"] },
): ReadableSpan {
  const original = span instanceof SpanWithData ? span.original : span;
  return new SpanWithData(original, data.name ?? span.name, data.attributes, data.events ?? span.events);
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
