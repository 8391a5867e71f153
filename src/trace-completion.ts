import { diagnose, findingsToAnnotations, type Diagnosis } from "./diagnosis/index.ts";
import type { SpanRecord, TraceStore } from "./store/trace-store.ts";
import { summarize } from "./store/trace-summary.ts";
import { waitForTrace } from "./store/wait-for-trace.ts";

/**
 * Diagnoses a stored trace and records what it found: findings as CODE annotations on the spans
 * they point at, and the trace's summary row (route, cost, verdict, findings, feedback).
 */
export function recordDiagnosis(store: TraceStore, traceId: string, spans: readonly SpanRecord[]): Diagnosis {
  const diagnosis = diagnose(spans);
  for (const annotation of findingsToAnnotations(traceId, diagnosis.findings, new Date().toISOString())) {
    store.upsertAnnotation(annotation);
  }
  const feedback = store.feedbackOf(traceId).at(-1)?.outcome ?? null;
  const summary = summarize(traceId, spans, diagnosis, feedback);
  if (summary) store.upsertSummary(summary);
  return diagnosis;
}

/** Once every span of the trace has reached the store (other processes included), diagnose it. */
export async function completeTrace(
  store: TraceStore,
  traceId: string,
  serviceUrls: readonly string[],
): Promise<{ spans: SpanRecord[]; diagnosis: Diagnosis }> {
  const spans = await waitForTrace(store, traceId, serviceUrls);
  return { spans, diagnosis: recordDiagnosis(store, traceId, spans) };
}
