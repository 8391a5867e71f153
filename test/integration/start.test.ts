import { afterAll, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { openTraceStore } from "../../src/store/trace-store.ts";
import { startCli, stop, tempStore } from "../helpers/processes.ts";

let started: ChildProcess | undefined;
afterAll(async () => stop(started));

/**
 * The real `npm start` entry point: only a test like this catches a telemetry module that loads
 * too late (express and fetch unpatched, mock services' spans in traces of their own).
 */
it(
  "npm start replays the built-ins, prints where to look and answers over HTTP",
  { timeout: 300_000 },
  async () => {
    const { traceStore } = tempStore();
    const run = await startCli(
      ["npm", "start", "--silent"],
      { TRACE_STORE: traceStore, PORT: "0" },
      /API\s+(\S+)\/v1\/incidents\/ask/,
    );
    started = run.child;
    const api = run.match[1] as string;
    expect(run.output()).toMatch(/elena\s+.*\/traces\/[0-9a-f]{32}/);

    const response = await fetch(`${api}/v1/incidents/ask`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        question:
          "Elena Ruiz (E-10442) reports laptop LT-4821 stolen. Is it encrypted, and are her sessions revoked?",
      }),
    });
    expect(response.status).toBe(200);
    const viewer = await fetch(`${api}/`);
    expect(viewer.headers.get("content-type")).toContain("text/html");
    expect(await viewer.text()).toContain("<main");
    const { trace_id: traceId } = (await response.json()) as { trace_id: string };

    const store = await openTraceStore(traceStore);
    // The root span ends last, so it may reach the store in a later batch than the services' spans.
    await expect
      .poll(async () => (await store.spansOf(traceId)).some((span) => span.oiKind === "AGENT"), {
        timeout: 60_000,
      })
      .toBe(true);
    await expect
      .poll(async () => new Set((await store.spansOf(traceId)).map((span) => span.service)), {
        timeout: 60_000,
      })
      .toEqual(new Set(["incident-assistant", "llm", "mdm", "sessions"]));
    const trace = (await (await fetch(`${api}/v1/traces/${traceId}`)).json()) as {
      spans: { parent_span_id: string | null }[];
    };
    expect(trace.spans.filter((span) => span.parent_span_id === null)).toHaveLength(1);
    // The replays left the world healthy (fresh device data, a revocation that works): nothing to find.
    const summary = async () => {
      const list = (await (await fetch(`${api}/v1/traces?limit=50`)).json()) as {
        traces: { trace_id: string; verdict: string | null; finding_count: number }[];
      };
      return list.traces.find((trace) => trace.trace_id === traceId);
    };
    await expect.poll(async () => (await summary())?.verdict, { timeout: 60_000 }).toBe("supported");
    expect((await summary())?.finding_count).toBe(0);
    await store.close();
  },
);
