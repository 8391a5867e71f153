import { describe, expect, it } from "vitest";
import { openTraceStore, type TraceStore } from "../../src/store/trace-store.ts";
import { enforceRetention } from "../../src/lifecycle/retention.ts";
import { healthyTrace } from "../helpers/trace-builder.ts";

const DAY_MS = 86_400_000;
const NOW = Date.parse("2026-11-27T12:00:00Z");

/** A healthy trace started `ageDays` before NOW, with feedback and an annotation attached. */
async function storeTrace(store: TraceStore, traceId: string, ageDays: number) {
  const startNs = BigInt(NOW - ageDays * DAY_MS) * 1_000_000n;
  await store.addSpans(
    healthyTrace()
      .build()
      .map((span) => ({
        ...span,
        traceId,
        spanId: `${traceId}-${span.spanId}`,
        parentSpanId: span.parentSpanId && `${traceId}-${span.parentSpanId}`,
        startNs: startNs + span.startNs,
        endNs: startNs + span.endNs,
      })),
  );
  await store.addFeedback({
    traceId,
    outcome: "confirmed",
    comment: null,
    receivedAt: new Date(NOW).toISOString(),
  });
  await store.upsertAnnotation({
    traceId,
    spanId: null,
    name: "verdict",
    annotatorKind: "CODE",
    label: "supported",
    score: null,
    explanation: null,
    identifier: "diagnosis",
    metadata: {},
    createdAt: new Date(NOW).toISOString(),
  });
}

describe("retention", () => {
  it("deletes traces older than the retention age, in batches, with what hangs off them", async () => {
    const store = await openTraceStore(":memory:");
    for (let index = 0; index < 450; index += 1) await storeTrace(store, `old-${index}`, 40);
    await storeTrace(store, "recent", 2);
    const deleting = enforceRetention(store, 30 * DAY_MS, NOW);
    // In batches: the event loop gets turns before the last one is deleted.
    let loopTurned = false;
    setImmediate(() => (loopTurned = true));
    expect(await deleting).toBe(450);
    expect(loopTurned).toBe(true);
    expect(await store.traceIds()).toEqual(["recent"]);
    expect(await store.feedbackOf("old-1")).toEqual([]);
    expect(await store.annotationsOf("old-1")).toEqual([]);
    expect(await store.annotationsOf("recent")).toHaveLength(1);
    expect(await store.spansOf("recent")).toHaveLength(healthyTrace().build().length);
    expect(await enforceRetention(store, 30 * DAY_MS, NOW)).toBe(0);
  });
});
