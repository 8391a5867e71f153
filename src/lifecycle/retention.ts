import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Config } from "../shared/config.ts";
import type { Governance } from "../governance/runtime.ts";
import type { TraceStore } from "../store/trace-store.ts";

/** Deletes traces older than `maxAgeMs` in small batches, yielding between them so ingest never waits long. */
export async function enforceRetention(
  store: TraceStore,
  maxAgeMs: number,
  now = Date.now(),
): Promise<number> {
  const cutoffNs = BigInt(now - maxAgeMs) * 1_000_000n;
  let deleted = 0;
  for (
    let batch = await store.deleteTracesStartedBefore(cutoffNs);
    batch > 0;
    batch = await store.deleteTracesStartedBefore(cutoffNs)
  ) {
    deleted += batch;
    await yieldToEventLoop();
  }
  return deleted;
}

/** Retention per tier: traces after TRACE_RETENTION, restricted payloads after the shorter RESTRICTED_RETENTION. */
export async function enforceRetentionPolicy(
  store: TraceStore,
  governance: Governance,
  config: Pick<Config, "traceRetention" | "restrictedRetention">,
  now = Date.now(),
): Promise<{ traces: number; restrictedPayloads: number }> {
  const traces = await enforceRetention(store, config.traceRetention, now);
  const restrictedPayloads = await governance.restricted.deleteStoredBefore(now - config.restrictedRetention);
  return { traces, restrictedPayloads };
}
