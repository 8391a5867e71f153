import { setTimeout as sleep } from "node:timers/promises";
import type { SpanRecord, TraceStore } from "./trace-store.ts";

/**
 * An assistant trace is complete in the store when its AGENT span has arrived (it ends last in its
 * process, so its local descendants are stored by then) and every HTTP call to a service that exports
 * to this store (`serviceUrls`) has that service's SERVER span beneath it: spans from other processes
 * arrive on their own schedule. `relayedCallIds` are CLIENT spans whose call a proxy passed on to
 * such a service (a what-if replay's cassette), so a SERVER span comes beneath them too.
 */
export function isTraceComplete(
  spans: readonly SpanRecord[],
  serviceUrls: readonly string[],
  relayedCallIds: readonly string[] = [],
): boolean {
  if (!spans.some((span) => span.oiKind === "AGENT")) return false;
  const parents = new Set(spans.map((span) => span.parentSpanId));
  const relayed = new Set(relayedCallIds);
  return spans
    .filter((span) => span.spanKind === "CLIENT" && (relayed.has(span.spanId) || callsAny(span, serviceUrls)))
    .every((call) => parents.has(call.spanId));
}

function callsAny(span: SpanRecord, serviceUrls: readonly string[]) {
  const url = span.attributes["url.full"];
  return typeof url === "string" && serviceUrls.some((service) => isUnder(url, service));
}

/** Whether `url` is `base` or a path below it: `http://host:4001` is not under `http://host:400`. */
export const isUnder = (url: string, base: string): boolean =>
  url === base || url.startsWith(base.endsWith("/") ? base : `${base}/`);

export async function waitForTrace(
  store: TraceStore,
  traceId: string,
  serviceUrls: readonly string[],
  relayedCallIds: readonly string[] = [],
  // Spans from other processes arrive within a second or two; a loaded machine may take far longer.
  timeoutMs = 60_000,
): Promise<SpanRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const spans = await store.spansOf(traceId);
    if (isTraceComplete(spans, serviceUrls, relayedCallIds)) return spans;
    if (Date.now() > deadline) throw new Error(`trace ${traceId} still incomplete after ${timeoutMs} ms`);
    await sleep(50);
  }
}
