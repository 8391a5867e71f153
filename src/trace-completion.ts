import { diagnose, findingsToAnnotations, verdictAnnotation, type Diagnosis } from "./diagnosis/index.ts";
import type { Governance } from "./governance/runtime.ts";
import type { SpanRecord, TraceStore } from "./store/trace-store.ts";
import { rootOf, summarize } from "./store/trace-summary.ts";
import { waitForTrace } from "./store/wait-for-trace.ts";

/**
 * Diagnoses a stored trace and records what it found: findings as CODE annotations on the spans
 * they point at, the verdict as one on the root span, and the trace's summary row (route, cost,
 * verdict, findings, feedback).
 */
export function recordDiagnosis(store: TraceStore, traceId: string, spans: readonly SpanRecord[]): Diagnosis {
  const diagnosis = diagnose(spans);
  const createdAt = new Date().toISOString();
  for (const annotation of findingsToAnnotations(traceId, diagnosis.findings, createdAt)) {
    store.upsertAnnotation(annotation);
  }
  const root = rootOf(spans);
  if (root) store.upsertAnnotation(verdictAnnotation(traceId, root.spanId, diagnosis, createdAt));
  const feedback = store.feedbackOf(traceId).at(-1)?.outcome ?? null;
  const summary = summarize(traceId, spans, diagnosis, feedback);
  if (summary) store.upsertSummary(summary);
  return diagnosis;
}

/**
 * Once every span of the trace has reached the store (other processes included): diagnose it, then
 * apply tail sampling to its raw payloads (keep errors, flagged answers, escalations, a sample).
 */
export async function completeTrace(
  store: TraceStore,
  traceId: string,
  serviceUrls: readonly string[],
  governance: Governance,
): Promise<{ spans: SpanRecord[]; diagnosis: Diagnosis }> {
  const spans = await waitForTrace(store, traceId, serviceUrls);
  const diagnosis = recordDiagnosis(store, traceId, spans);
  if (governance.enabled) {
    const decision = governance.tiers.decide({
      traceId,
      failed: spans.some((span) => span.oiKind !== null && span.statusCode === "ERROR"),
      flagged: diagnosis.findings.length > 0,
      escalated: store.feedbackOf(traceId).some((feedback) => feedback.outcome === "escalated"),
    });
    store.setSampling(traceId, decision.keep ? "kept" : "dropped", decision.reason);
  }
  return { spans, diagnosis };
}
