/**
 * The trace backend seen from another process: a `serve` process receives OTLP from this one, is
 * killed with SIGKILL right after it acknowledged spans, and starts again on the same stores.
 */
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTraceStore, type SpanRecord } from "../../src/store/trace-store.ts";
import { toOtlpJson } from "../../src/store/otlp.ts";
import { NODE_ARGS, startCli, stop, tempStore } from "../helpers/processes.ts";
import { canarySpans, leakedCanaries } from "../helpers/canaries.ts";
import { killDuringIngest } from "../helpers/kill-during-ingest.ts";
import { wrongStorySentBy } from "../helpers/trace-builder.ts";

const INGEST = "ingest-token-1";
const ANALYST = "analyst-token-1";

const { traceStore } = tempStore();
const env = {
  TRACE_STORE: traceStore,
  PORT: "0",
  API_TOKENS: `ingest:${INGEST},analyst:${ANALYST}`,
};
let server: { child: ChildProcess; url: string } | undefined;

/** `settle`: how long a trace must be quiet before the server diagnoses it on its own. */
async function startServer(settle: string) {
  const { child, match } = await startCli(
    [process.execPath, ...NODE_ARGS, "serve"],
    { ...env, TRACE_SETTLE: settle },
    /listening on (http:\/\/\S+)/,
  );
  return { child, url: match[1] as string };
}

beforeAll(async () => {
  // Before the crash, nothing is quiet long enough to be diagnosed: only recovery can do it.
  server = await startServer("1h");
});
afterAll(() => stop(server?.child));

const postSpans = (url: string, spans: readonly SpanRecord[]) =>
  fetch(`${url}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${INGEST}` },
    body: JSON.stringify(toOtlpJson(spans)),
  });

async function getTrace(url: string, traceId: string) {
  const response = await fetch(`${url}/v1/traces/${traceId}`, {
    headers: { authorization: `Bearer ${ANALYST}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("the trace backend as another process sees it", () => {
  it("governs the canary corpus posted over OTLP: the API and the store hold none of it", async () => {
    const url = server!.url;
    const traceId = "c0ffee00c0ffee00c0ffee00c0ffee00";
    const response = await postSpans(url, canarySpans(traceId));
    expect(response.status).toBe(200);

    const { status, body } = await getTrace(url, traceId);
    expect(status).toBe(200);
    expect((body.spans as unknown[]).length).toBe(canarySpans(traceId).length);
    expect(leakedCanaries(JSON.stringify(body))).toEqual([]);
    const store = await openTraceStore(traceStore);
    try {
      const stored = JSON.stringify(await store.spansOf(traceId), (_, value: unknown) =>
        typeof value === "bigint" ? String(value) : value,
      );
      expect(leakedCanaries(stored)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("keeps every acknowledged span through a kill -9, and diagnoses the traces the crash left partial", async () => {
    const url = server!.url;
    // An assistant's trace cut short: the crash came before its root span was exported.
    const partialId = "dead0000dead0000dead0000dead0000";
    const partial = wrongStorySentBy(partialId).filter((span) => span.parentSpanId !== null);
    expect((await postSpans(url, partial)).status).toBe(200);

    // Requests keep coming, four at a time; the server dies the moment the fifth 200 arrives.
    const loadId = "10ad0000000000000000000000000000";
    const acknowledged = await killDuringIngest(server!.child, loadId, (spans) => postSpans(url, spans));

    server = await startServer("1s");
    const store = await openTraceStore(traceStore);
    try {
      const stored = new Set((await store.spansOf(loadId)).map((span) => span.spanId));
      expect(acknowledged.filter((spanId) => !stored.has(spanId))).toEqual([]);
      expect(await store.spansOf(partialId)).toHaveLength(partial.length);
    } finally {
      await store.close();
    }

    // The restarted server finds the partial trace undiagnosed and diagnoses it once it is quiet.
    const listed = async () => {
      const response = await fetch(`${server!.url}/v1/traces`, {
        headers: { authorization: `Bearer ${ANALYST}` },
      });
      const { traces } = (await response.json()) as { traces: { trace_id: string }[] };
      return traces.find((trace) => trace.trace_id === partialId);
    };
    await expect
      .poll(listed, { timeout: 60_000 })
      .toMatchObject({ verdict: "unsupported", first_bad_stage: "tool" });
  });
});
