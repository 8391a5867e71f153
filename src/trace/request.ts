import { SemanticConventions as SC } from "@arizeai/openinference-semantic-conventions";
import { ATTR } from "../contracts/semconv.ts";
import type { SpanRecord } from "../store/trace-store.ts";

// What a trace says about its request as a whole: its root, the root's attributes, its model usage.

const textOf = (span: SpanRecord, key: string) => {
  const value = span.attributes[key];
  return typeof value === "string" ? value : null;
};

const numberOf = (span: SpanRecord, key: string) => {
  const value = span.attributes[key];
  return typeof value === "number" ? value : 0;
};

/** Tokens and USD over the trace's LLM spans. */
export function modelUsage(spans: readonly SpanRecord[]): { tokens: number; costUsd: number } {
  const llmSpans = spans.filter((span) => span.oiKind === "LLM");
  return {
    tokens: llmSpans.reduce((total, span) => total + numberOf(span, SC.LLM_TOKEN_COUNT_TOTAL), 0),
    costUsd: llmSpans.reduce((total, span) => total + numberOf(span, SC.LLM_COST_TOTAL), 0),
  };
}

/** ERROR when a pipeline stage (an OpenInference span) failed; a retried HTTP attempt is not a failure. */
export const traceStatus = (spans: readonly SpanRecord[]): "OK" | "ERROR" =>
  spans.some((span) => span.oiKind && span.statusCode === "ERROR") ? "ERROR" : "OK";

/** What the root span says about the request, for the summary row and the trace view alike. */
export function requestFacts(root: SpanRecord) {
  return {
    sessionId: textOf(root, SC.SESSION_ID),
    userId: textOf(root, SC.USER_ID),
    category: textOf(root, ATTR.category),
    severity: textOf(root, ATTR.severity),
    route: textOf(root, ATTR.routeName),
    model: textOf(root, ATTR.routeModel),
    routingPolicy: textOf(root, ATTR.routingPolicy),
    promptVersion: textOf(root, ATTR.synthesizerPromptVersion),
  };
}

/** The earliest span whose parent is not in the trace. */
export function rootOf(spans: readonly SpanRecord[]): SpanRecord | undefined {
  const ids = new Set(spans.map((span) => span.spanId));
  return spans
    .filter((span) => !span.parentSpanId || !ids.has(span.parentSpanId))
    .sort((a, b) => (a.startNs < b.startNs ? -1 : 1))[0];
}
