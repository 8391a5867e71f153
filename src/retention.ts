import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { TraceStore } from "./store/trace-store.ts";

/** Deletes traces older than `maxAgeMs` in small batches, yielding between them so ingest never waits long. */
export async function enforceRetention(
  store: TraceStore,
  maxAgeMs: number,
  now = Date.now(),
): Promise<number> {
  const cutoffNs = BigInt(now - maxAgeMs) * 1_000_000n;
  let deleted = 0;
  for (
    let batch = store.deleteTracesStartedBefore(cutoffNs);
    batch > 0;
    batch = store.deleteTracesStartedBefore(cutoffNs)
  ) {
    deleted += batch;
    await yieldToEventLoop();
  }
  return deleted;
}
