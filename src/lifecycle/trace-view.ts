import { annotationsToFindings, diagnosisOf } from "../diagnosis/index.ts";
import type { TraceStore } from "../store/trace-store.ts";
import { modelUsage, requestFacts, rootOf, traceStatus } from "../trace/request.ts";
import { nsToIso, spanMs } from "../shared/measures.ts";

/** The JSON view of one stored trace served by `GET /v1/traces/:id`; undefined for an unknown trace. */
export async function traceView(store: TraceStore, traceId: string) {
  const [spans, annotations, feedbacks] = await Promise.all([
    store.spansOf(traceId),
    store.annotationsOf(traceId),
    store.feedbackOf(traceId),
  ]);
  const root = rootOf(spans);
  if (!root) return undefined;
  const feedback = feedbacks.at(-1);
  const usage = modelUsage(spans);
  const request = requestFacts(root);
  // The stored diagnosis, in the shape `replay --json` prints; none until the trace is diagnosed.
  const diagnosed = annotations.some((annotation) => annotation.name === "verdict");
  const diagnosis = diagnosisOf(annotationsToFindings(annotations, spans));
  return {
    trace_id: traceId,
    summary: {
      root: root.name,
      start: nsToIso(root.startNs),
      duration_ms: spanMs(root),
      status: traceStatus(spans),
      services: [...new Set(spans.map((span) => span.service))],
      span_count: spans.length,
      category: request.category,
      severity: request.severity,
      route: request.route,
      model: request.model,
      prompt_version: request.promptVersion,
      tokens: usage.tokens,
      cost_usd: usage.costUsd,
      verdict: diagnosed ? diagnosis.verdict : null,
      first_bad_stage: diagnosed ? diagnosis.firstBadStage : null,
      feedback: feedback?.outcome ?? null,
    },
    spans: spans.map((span) => ({
      span_id: span.spanId,
      parent_span_id: span.parentSpanId,
      name: span.name,
      service: span.service,
      kind: span.oiKind ?? span.spanKind,
      span_kind: span.spanKind,
      start: nsToIso(span.startNs),
      end: nsToIso(span.endNs),
      duration_ms: spanMs(span),
      status: span.statusCode,
      attributes: span.attributes,
      events: span.events,
      links: span.links,
    })),
    findings: diagnosis.findings,
    annotations,
    feedback: feedbacks,
  };
}
