import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Span,
  type SpanContext,
} from "@opentelemetry/api";
import { OITracer } from "@arizeai/openinference-core";
import type { OpenInferenceSpanKind } from "@arizeai/openinference-semantic-conventions";
import { SemanticConventions } from "@arizeai/openinference-semantic-conventions";
import { ATTR, type Stage } from "../contracts/semconv.ts";
import { stageDuration } from "./metrics.ts";

/**
 * The assistant's tracer. OITracer adds the context attributes (session.id, user.id) to every span
 * and applies OPENINFERENCE_HIDE_* masking.
 */
export const tracer = new OITracer({ tracer: trace.getTracer("incident-assistant") });

/** A stored span as the parent or link of a span started later, in another process or another hour. */
export const storedSpanContext = (span: { traceId: string; spanId: string }): SpanContext => ({
  traceId: span.traceId,
  spanId: span.spanId,
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
});

/**
 * A span added to a stored trace after the fact (feedback, a replay's origin): a child of `parent`,
 * linked to `linked` with the reason, ended at once.
 */
export function addSpanToStoredTrace(
  name: string,
  parent: { traceId: string; spanId: string },
  link: { to: { traceId: string; spanId: string }; reason: string },
  attributes: Attributes,
) {
  tracer
    .startSpan(
      name,
      {
        links: [{ context: storedSpanContext(link.to), attributes: { "link.reason": link.reason } }],
        attributes,
      },
      trace.setSpanContext(ROOT_CONTEXT, storedSpanContext(parent)),
    )
    .end();
}

interface SpanOptions {
  kind: OpenInferenceSpanKind;
  attributes?: Attributes;
  /** OpenTelemetry span kind; INTERNAL unless the span wraps a remote call. */
  spanKind?: SpanKind;
  /** Pipeline stage the span measures in the RED metrics. */
  stage?: Stage;
}

const failedSpans = new WeakSet<Span>();

/** Marks a span failed: status ERROR, `error.type`, and the exception when there is one. */
export function markSpanError(span: Span, errorType: string, error?: unknown) {
  failedSpans.add(span);
  if (error !== undefined) span.recordException(error instanceof Error ? error : String(error));
  span.setAttribute(ATTR.errorType, errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : errorType });
}

/**
 * Runs `work` inside an active span that ends however `work` ends; a throw marks the span failed.
 * Children (HTTP calls, LLM calls) started inside are parented to it.
 */
export function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  const attributes = { [SemanticConventions.OPENINFERENCE_SPAN_KIND]: options.kind, ...options.attributes };
  return tracer.startActiveSpan(
    name,
    { kind: options.spanKind ?? SpanKind.INTERNAL, attributes },
    async (span) => {
      const started = performance.now();
      try {
        return await work(span);
      } catch (error) {
        markSpanError(span, error instanceof Error ? error.name : "Error", error);
        throw error;
      } finally {
        span.end();
        if (options.stage) {
          const outcome = failedSpans.has(span) ? "error" : "ok";
          stageDuration.record((performance.now() - started) / 1000, { stage: options.stage, outcome });
        }
      }
    },
  );
}
