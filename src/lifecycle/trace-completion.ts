import { diagnose, findingsToAnnotations, verdictAnnotation, type Diagnosis } from "../diagnosis/index.ts";
import type { Governance } from "../governance/runtime.ts";
import type { SpanRecord, TraceStore } from "../store/trace-store.ts";
import { summarize } from "./trace-summary.ts";
import { rootOf } from "../trace/request.ts";
import { waitForTrace } from "../store/wait-for-trace.ts";

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
  return { spans, diagnosis: diagnoseAndSample(store, traceId, spans, governance) };
}

function diagnoseAndSample(
  store: TraceStore,
  traceId: string,
  spans: readonly SpanRecord[],
  governance: Governance,
): Diagnosis {
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
  return diagnosis;
}

/** Traces watched at once; past it the oldest is dropped (the next start-up's recovery finds it). */
const MAX_WATCHED_TRACES = 100_000;

/**
 * Completes the traces that no answer of this process completes: spans other processes sent over
 * OTLP, and traces a crash left partial (found at start-up). Such a trace has no end marker, so it is
 * diagnosed once no span of it has arrived for `quietMs`, unless it has a summary by then.
 */
export class TraceSettler {
  /** Trace id -> when its last spans arrived (ms). Insertion order is arrival order. */
  private readonly watched = new Map<string, number>();

  constructor(
    private readonly store: TraceStore,
    private readonly governance: Governance,
    private readonly quietMs: number,
    private readonly now: () => number = Date.now,
  ) {
    for (const traceId of store.unsummarizedTraceIds()) this.spansArrived([traceId]);
  }

  readonly spansArrived = (traceIds: readonly string[]): void => {
    const now = this.now();
    for (const traceId of traceIds) {
      this.watched.delete(traceId);
      this.watched.set(traceId, now);
    }
    for (const [oldest] of this.watched) {
      if (this.watched.size <= MAX_WATCHED_TRACES) break;
      this.watched.delete(oldest);
    }
  };

  /** Diagnoses every watched trace that has gone quiet and has no summary; returns their ids. */
  settle(): string[] {
    const quietSince = this.now() - this.quietMs;
    const settled: string[] = [];
    for (const [traceId, arrivedAt] of this.watched) {
      if (arrivedAt > quietSince) break;
      this.watched.delete(traceId);
      const spans = this.store.spansOf(traceId);
      // Retention may have deleted it meanwhile.
      if (spans.length === 0 || this.store.hasSummary(traceId)) continue;
      diagnoseAndSample(this.store, traceId, spans, this.governance);
      settled.push(traceId);
    }
    return settled;
  }

  get watching(): number {
    return this.watched.size;
  }
}
