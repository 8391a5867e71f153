import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
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
export async function recordDiagnosis(
  store: TraceStore,
  traceId: string,
  spans: readonly SpanRecord[],
): Promise<Diagnosis> {
  const diagnosis = diagnose(spans);
  const feedback = (await store.feedbackOf(traceId)).at(-1)?.outcome ?? null;
  const summary = summarize(traceId, spans, diagnosis, feedback);
  const createdAt = new Date().toISOString();
  const root = rootOf(spans);
  const annotations = [
    ...findingsToAnnotations(traceId, diagnosis.findings, createdAt),
    ...(root ? [verdictAnnotation(traceId, root.spanId, diagnosis, createdAt)] : []),
  ];
  // With its summary, in one transaction: a diagnosis of more of the trace's spans, stored already,
  // keeps both (upsertSummary then writes nothing).
  if (summary) await store.upsertSummary(summary, annotations);
  else await store.replaceAnnotations(traceId, "CODE", annotations);
  return diagnosis;
}

/** Who holds a claim: this process, among every replica on the store. */
const CLAIM_OWNER = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
/** Diagnosing takes milliseconds: a claim this old belongs to a process that died holding it. */
const CLAIM_LEASE_MS = 30_000;

/**
 * Once every span of the trace has reached the store (other processes included, `waitForTrace`):
 * diagnose it, then apply tail sampling to its raw payloads (keep errors, flagged answers,
 * escalations, a sample).
 */
export async function completeTrace(
  store: TraceStore,
  traceId: string,
  serviceUrls: readonly string[],
  governance: Governance,
  relayedCallIds: readonly string[] = [],
): Promise<{ spans: SpanRecord[]; diagnosis: Diagnosis }> {
  const spans = await waitForTrace(store, traceId, serviceUrls, relayedCallIds);
  // Another replica holding the claim records the diagnosis; the caller still gets it.
  return {
    spans,
    diagnosis: (await claimAndRecord(store, traceId, spans, governance, true)) ?? diagnose(spans),
  };
}

/**
 * Claims the trace, then records its diagnosis and the sampling decision of its raw payloads: once
 * across every replica on the store. Undefined when another process holds the claim.
 */
async function claimAndRecord(
  store: TraceStore,
  traceId: string,
  spans: readonly SpanRecord[],
  governance: Governance,
  answering: boolean,
  now = Date.now(),
): Promise<Diagnosis | undefined> {
  const claim = { owner: CLAIM_OWNER, leaseMs: CLAIM_LEASE_MS, spanCount: spans.length, answering, now };
  if (!(await store.claimTrace(traceId, claim))) return undefined;
  const diagnosis = await recordDiagnosis(store, traceId, spans);
  if (governance.enabled) {
    const decision = governance.tiers.decide({
      traceId,
      failed: spans.some((span) => span.oiKind !== null && span.statusCode === "ERROR"),
      flagged: diagnosis.findings.length > 0,
      escalated: (await store.feedbackOf(traceId)).some((feedback) => feedback.outcome === "escalated"),
    });
    await store.setSampling(traceId, decision.keep ? "kept" : "dropped", decision.reason);
    await governance.tiers.written();
  }
  return diagnosis;
}

/** Traces watched at once; past it the oldest is dropped (the next start-up's recovery finds it). */
const MAX_WATCHED_TRACES = 100_000;

/**
 * Completes the traces that no answer of this process completes: spans other processes sent over
 * OTLP, and traces a crash left partial (found at start-up). Such a trace has no end marker, so it is
 * diagnosed once no span of it has arrived for `quietMs`, unless a summary of all its spans exists by
 * then; spans that arrive after it was diagnosed have it diagnosed again.
 */
export class TraceSettler {
  /** Trace id -> when its last spans arrived (ms). Insertion order is arrival order. */
  private readonly watched = new Map<string, number>();

  constructor(
    private readonly store: TraceStore,
    private readonly governance: Governance,
    private readonly quietMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Watches the traces no diagnosis has read all of: left partial or undiagnosed by a crash, or given
   * spans after it. Call once at start-up.
   */
  async recover(): Promise<void> {
    this.spansArrived(await this.store.undiagnosedTraceIds());
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

  /**
   * Diagnoses every watched trace that has gone quiet and has no summary, and every trace another
   * replica claimed and died before summarizing; returns their ids.
   */
  async settle(): Promise<string[]> {
    const quietSince = this.now() - this.quietMs;
    const quiet: string[] = [];
    for (const [traceId, arrivedAt] of this.watched) {
      if (arrivedAt > quietSince) break;
      this.watched.delete(traceId);
      quiet.push(traceId);
    }
    const failures: unknown[] = [];
    const abandoned = await this.store.abandonedTraceIds(this.now()).catch((error: unknown) => {
      failures.push(error);
      return [];
    });
    const settled: string[] = [];
    for (const traceId of new Set([...quiet, ...abandoned])) {
      try {
        const spans = await this.store.spansOf(traceId);
        // Retention may have deleted it meanwhile; another replica may have diagnosed all of it.
        const summarized = (await this.store.summarizedSpanCount(traceId)) ?? 0;
        if (spans.length === 0 || summarized >= spans.length) continue;
        if (await claimAndRecord(this.store, traceId, spans, this.governance, false, this.now()))
          settled.push(traceId);
        // Another process holds it: watched again, in case it dies holding it or read fewer spans.
        else this.spansArrived([traceId]);
      } catch (error) {
        // Watched again, so a store that was unreachable a moment costs a delay, not a diagnosis.
        this.spansArrived([traceId]);
        failures.push(error);
      }
    }
    if (failures.length > 0)
      throw new AggregateError(failures, `${failures.length} trace(s) not settled yet`);
    return settled;
  }

  get watching(): number {
    return this.watched.size;
  }
}
