import type { RestrictedStore, SpanPayload } from "./restricted-store.ts";
import type { SamplingDecision, TailSampler, TraceOutcome } from "./sampling.ts";

export interface GraceLimits {
  /** How long undecided payloads wait for a decision (late feedback can still promote them). */
  graceMs: number;
  /** How many undecided traces the buffer holds; the oldest go first. */
  maxTraces: number;
  /** How many bytes of undecided payloads the buffer holds; the oldest go first. */
  maxBytes: number;
}

interface Held {
  since: number;
  bytes: number;
  payloads: SpanPayload[];
}

/**
 * Where raw payloads wait and where they end up. Spans hand their payloads over as they end;
 * they stay in a bounded grace buffer until the trace's tail-sampling decision, then go to the
 * encrypted restricted store or are dropped once the grace period is over. `redact` runs on a
 * payload on its way into the store, so only kept payloads pay for the secret scan.
 */
export class PayloadTiers {
  private readonly held = new Map<string, Held>();
  private heldBytes = 0;
  /** Traces already decided "keep": later spans (feedback) go straight to the store. Bounded like `held`. */
  private readonly kept = new Set<string>();
  private readonly writing = new Set<Promise<void>>();
  /** Writes the restricted store refused since `written()` last said so (it was unreachable, say). */
  private readonly failures: unknown[] = [];

  constructor(
    private readonly store: RestrictedStore,
    private readonly sampler: TailSampler,
    private readonly limits: GraceLimits,
    private readonly redact: (payload: SpanPayload) => SpanPayload,
  ) {}

  hold(traceId: string, payload: SpanPayload, now = Date.now()) {
    if (this.kept.has(traceId)) return this.write(traceId, [this.redact(payload)], now);
    const bytes = approximateBytes(payload.attributes);
    const entry = this.held.get(traceId) ?? { since: now, bytes: 0, payloads: [] };
    entry.payloads.push(payload);
    entry.bytes += bytes;
    this.heldBytes += bytes;
    this.held.set(traceId, entry);
    this.evict(now);
  }

  /** Applies the tail-sampling policy to a completed trace. */
  decide(outcome: TraceOutcome, now = Date.now()): SamplingDecision {
    const decision = this.sampler.decide(outcome, now);
    if (decision.keep) this.keep(outcome.traceId, now);
    return decision;
  }

  /** Late news (an escalation) keeps a trace's payloads if they are still in the grace buffer. */
  promote(traceId: string, now = Date.now()): boolean {
    if (this.kept.has(traceId)) return true;
    const entry = this.held.get(traceId);
    if (!entry || entry.since <= now - this.limits.graceMs) return false;
    this.keep(traceId, now);
    return true;
  }

  heldTraces(): number {
    return this.held.size;
  }

  /**
   * Resolves once every payload handed to the restricted store so far is written; rejects, once, when
   * some could not be, so the caller (a trace's completion, feedback) reports the loss.
   */
  async written(): Promise<void> {
    await Promise.all(this.writing);
    const failures = this.failures.splice(0);
    if (failures.length > 0)
      throw new AggregateError(failures, "raw payloads not stored in the restricted tier");
  }

  private write(traceId: string, payloads: SpanPayload[], now: number) {
    const write = this.store
      .put(traceId, payloads, now)
      .catch((error: unknown) => {
        this.failures.push(error);
      })
      .finally(() => this.writing.delete(write));
    this.writing.add(write);
  }

  private keep(traceId: string, now: number) {
    const entry = this.held.get(traceId);
    if (entry) {
      this.write(traceId, entry.payloads.map(this.redact), now);
      this.forget(traceId, entry);
    }
    this.kept.add(traceId);
    if (this.kept.size > this.limits.maxTraces) this.kept.delete(this.kept.values().next().value as string);
  }

  /** Drops expired traces, then the oldest while over the limits (Map order is insertion order). */
  private evict(now: number) {
    for (const [traceId, entry] of this.held) {
      const expired = entry.since <= now - this.limits.graceMs;
      const over = this.held.size > this.limits.maxTraces || this.heldBytes > this.limits.maxBytes;
      if (!expired && !over) break;
      this.forget(traceId, entry);
    }
  }

  private forget(traceId: string, entry: Held) {
    this.held.delete(traceId);
    this.heldBytes -= entry.bytes;
  }
}

/** About what `value` takes as JSON, without serializing it: enough to bound the buffer. */
function approximateBytes(value: unknown): number {
  if (typeof value === "string") return value.length + 2;
  if (Array.isArray(value))
    return value.reduce((total: number, item) => total + approximateBytes(item) + 1, 2);
  if (typeof value === "object" && value !== null) {
    let total = 2;
    for (const [key, item] of Object.entries(value)) total += key.length + 4 + approximateBytes(item);
    return total;
  }
  return 8;
}
