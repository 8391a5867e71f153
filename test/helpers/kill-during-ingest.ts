/**
 * The durability drill of the crash and replica tests: OTLP requests keep coming, four at a time,
 * and the receiving process is killed with SIGKILL the moment the fifth 200 arrives.
 */
import type { ChildProcess } from "node:child_process";
import type { SpanRecord } from "../../src/store/trace-store.ts";
import { stop } from "./processes.ts";
import { span } from "./trace-builder.ts";

const SPANS_PER_REQUEST = 500;
/** Acknowledged requests before the kill. */
const ACKNOWLEDGED_REQUESTS = 5;
const SENDERS = 4;

/** Posts batches of trace `traceId` until `child` is killed; returns the ids of the spans acknowledged with a 200. */
export async function killDuringIngest(
  child: ChildProcess,
  traceId: string,
  post: (spans: readonly SpanRecord[]) => Promise<Response>,
): Promise<string[]> {
  const acknowledged: string[] = [];
  let next = 0;
  let killed: Promise<void> | undefined;
  const sender = async () => {
    while (!killed) {
      const spans = loadBatch(traceId, next++);
      const response = await post(spans).catch(() => undefined);
      if (response?.status !== 200 || killed) continue;
      acknowledged.push(...spans.map((sent) => sent.spanId));
      if (acknowledged.length >= ACKNOWLEDGED_REQUESTS * SPANS_PER_REQUEST) killed = stop(child, "SIGKILL");
    }
  };
  await Promise.all(Array.from({ length: SENDERS }, sender));
  await killed;
  return acknowledged;
}

/** A batch of plain spans with ids of their own: request `index` of trace `traceId`. */
function loadBatch(traceId: string, index: number): SpanRecord[] {
  return Array.from({ length: SPANS_PER_REQUEST }, (_, offset) => {
    const n = index * SPANS_PER_REQUEST + offset;
    return {
      ...span(`step ${n}`, null, { "step.index": n, "step.note": "x".repeat(200) }),
      traceId,
      spanId: (n + 1).toString(16).padStart(16, "0"),
      service: "load",
      startNs: 1_700_000_000_000_000_000n + BigInt(n),
      endNs: 1_700_000_000_000_500_000n + BigInt(n),
      resource: { "service.name": "load" },
      scope: { name: "kill-during-ingest", version: "1" },
    };
  });
}
