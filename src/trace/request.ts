import { SemanticConventions as SC } from "@arizeai/openinference-semantic-conventions";
import { ATTR } from "../contracts/semconv.ts";
import type { SpanRecord } from "../store/trace-store.ts";
import { numeric, text } from "./attribute-values.ts";

// What a trace says about its request as a whole: its root, the root's attributes, its model usage.

/** Tokens and USD over the trace's LLM spans. */
export function modelUsage(spans: readonly SpanRecord[]): { tokens: number; costUsd: number } {
  const llmSpans = spans.filter((span) => span.oiKind === "LLM");
  return {
    tokens: llmSpans.reduce(
      (total, span) => total + (numeric(span.attributes[SC.LLM_TOKEN_COUNT_TOTAL]) ?? 0),
      0,
    ),
    costUsd: llmSpans.reduce((total, span) => total + (numeric(span.attributes[SC.LLM_COST_TOTAL]) ?? 0), 0),
  };
}

/** ERROR when a pipeline stage (an OpenInference span) failed; a retried HTTP attempt is not a failure. */
export const traceStatus = (spans: readonly SpanRecord[]): "OK" | "ERROR" =>
  spans.some((span) => span.oiKind && span.statusCode === "ERROR") ? "ERROR" : "OK";

/** What the root span says about the request, for the summary row and the trace view alike. */
export function requestFacts(root: SpanRecord) {
  return {
    sessionId: text(root.attributes[SC.SESSION_ID]) ?? null,
    userId: text(root.attributes[SC.USER_ID]) ?? null,
    category: text(root.attributes[ATTR.category]) ?? null,
    severity: text(root.attributes[ATTR.severity]) ?? null,
    route: text(root.attributes[ATTR.routeName]) ?? null,
    model: text(root.attributes[ATTR.routeModel]) ?? null,
    routingPolicy: text(root.attributes[ATTR.routingPolicy]) ?? null,
    promptVersion: text(root.attributes[ATTR.synthesizerPromptVersion]) ?? null,
    experimentId: text(root.attributes[ATTR.experimentId]) ?? null,
    experimentArm: text(root.attributes[ATTR.experimentArm]) ?? null,
  };
}

/** The earliest span whose parent is not in the trace. */
export function rootOf(spans: readonly SpanRecord[]): SpanRecord | undefined {
  const ids = new Set(spans.map((span) => span.spanId));
  return spans
    .filter((span) => !span.parentSpanId || !ids.has(span.parentSpanId))
    .sort((a, b) => (a.startNs < b.startNs ? -1 : 1))[0];
}
