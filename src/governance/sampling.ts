import { createHash } from "node:crypto";

export interface SamplingPolicy {
  /** Share of healthy traces whose payloads are kept anyway, 0 to 1. */
  healthyRate: number;
  /** Cap on healthy traces kept per minute; failed, flagged and escalated traces are always kept. */
  maxHealthyPerMinute: number;
}

export interface TraceOutcome {
  traceId: string;
  failed: boolean;
  flagged: boolean;
  escalated: boolean;
}

export type SamplingReason = "error" | "flagged" | "escalated" | "sampled" | "not_sampled" | "rate_limited";
export interface SamplingDecision {
  keep: boolean;
  reason: SamplingReason;
}

/** The same trace always falls on the same side of the healthy rate, in every process. */
const sampleFraction = (traceId: string) =>
  createHash("sha256").update(traceId).digest().readUInt32BE(0) / 2 ** 32;

/**
 * Tail sampling of raw payloads, applied when a trace completes: keep what someone will need to
 * read (errors, flagged answers, escalations), and a bounded sample of healthy traces.
 */
export class TailSampler {
  private readonly keptAt: number[] = [];

  constructor(private readonly policy: SamplingPolicy) {}

  decide(outcome: TraceOutcome, now = Date.now()): SamplingDecision {
    if (outcome.failed) return { keep: true, reason: "error" };
    if (outcome.flagged) return { keep: true, reason: "flagged" };
    if (outcome.escalated) return { keep: true, reason: "escalated" };
    if (sampleFraction(outcome.traceId) >= this.policy.healthyRate)
      return { keep: false, reason: "not_sampled" };
    while (this.keptAt.length > 0 && (this.keptAt[0] as number) <= now - 60_000) this.keptAt.shift();
    if (this.keptAt.length >= this.policy.maxHealthyPerMinute) return { keep: false, reason: "rate_limited" };
    this.keptAt.push(now);
    return { keep: true, reason: "sampled" };
  }
}
