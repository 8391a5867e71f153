import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { openTraceStore, type TraceStore } from "../../src/store/trace-store.ts";
import { NODE_ARGS, startCli, stop, tempStore } from "../helpers/processes.ts";

const TOKENS = { analyst: "analyst-token-1", reviewer: "reviewer-token-1", admin: "admin-token-1" };
let serve: ChildProcess | undefined;
let api: string;
let store: TraceStore;

/** `serve` with tokens and no healthy sampling: a healthy trace's payloads are dropped unless something promotes them. */
beforeAll(async () => {
  const { traceStore } = tempStore();
  const started = await startCli(
    [process.execPath, ...NODE_ARGS, "serve"],
    {
      TRACE_STORE: traceStore,
      PORT: "0",
      SAMPLE_HEALTHY_RATE: "0",
      API_TOKENS: Object.entries(TOKENS)
        .map(([role, token]) => `${role}:${token}`)
        .join(","),
    },
    /listening on (\S+)/,
  );
  serve = started.child;
  api = started.match[1] as string;
  store = await openTraceStore(traceStore);
});

afterAll(async () => {
  await stop(serve);
  await store?.close();
});

async function call(method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const samplingOf = async (traceId: string) =>
  (
    await store.select(
      "SELECT sampling_decision, sampling_reason FROM trace_summaries WHERE trace_id = @traceId",
      {
        traceId,
      },
    )
  )[0];

describe("payload tiers over HTTP", () => {
  it("drops a healthy trace's payloads, then keeps them when an escalation arrives within the grace period", async () => {
    const asked = await call("POST", "/v1/incidents/ask", TOKENS.analyst, {
      question: "Marcus Webb (E-20931) says laptop MBP-31007 was stolen from his car. Is it encrypted?",
    });
    expect(asked.status).toBe(200);
    const traceId = asked.body.trace_id as string;
    await expect
      .poll(async () => samplingOf(traceId), { timeout: 60_000 })
      .toEqual({
        sampling_decision: "dropped",
        sampling_reason: "not_sampled",
      });
    expect((await call("GET", `/v1/traces/${traceId}/payloads`, TOKENS.reviewer)).status).toBe(404);

    const feedback = await call("POST", "/v1/feedback", TOKENS.analyst, {
      trace_id: traceId,
      outcome: "escalated",
      comment: "Marcus says the laptop was never encrypted.",
    });
    expect(feedback.status).toBe(202);
    expect(await samplingOf(traceId)).toEqual({ sampling_decision: "kept", sampling_reason: "escalated" });

    const payloads = await call("GET", `/v1/traces/${traceId}/payloads`, TOKENS.reviewer);
    expect(payloads.status).toBe(200);
    const text = JSON.stringify(payloads.body);
    expect(text).toContain("Marcus Webb (E-20931) says laptop MBP-31007");
    await expect
      .poll(async () =>
        JSON.stringify((await call("GET", `/v1/traces/${traceId}/payloads`, TOKENS.reviewer)).body),
      )
      .toContain("never encrypted");
    const stored = JSON.stringify(await store.spansOf(traceId), (_key, value: unknown) =>
      typeof value === "bigint" ? String(value) : value,
    );
    expect(stored).not.toContain("Marcus");
  });

  it("needs the reviewer role for payloads and audits every read, which only admin may list", async () => {
    const asked = await call("POST", "/v1/incidents/ask", TOKENS.analyst, {
      question: "Laptop LT-5530 was stolen.",
    });
    const traceId = asked.body.trace_id as string;
    expect((await call("GET", `/v1/traces/${traceId}/payloads`, TOKENS.analyst)).status).toBe(403);
    await call("GET", `/v1/traces/${traceId}/payloads`, TOKENS.reviewer);
    expect((await call("GET", "/v1/admin/audit", TOKENS.reviewer)).status).toBe(403);
    const audit = await call("GET", "/v1/admin/audit", TOKENS.admin);
    expect(audit.body.entries).toContainEqual(
      expect.objectContaining({
        action: "read_payloads",
        traceId,
        who: expect.stringMatching(/^reviewer:[0-9a-f]{8}$/),
      }),
    );
    expect(JSON.stringify(audit.body)).not.toContain(TOKENS.reviewer);
  });

  it("shows the configuration to admin only, credentials masked", async () => {
    expect((await call("GET", "/v1/admin/config", TOKENS.analyst)).status).toBe(403);
    const { body } = await call("GET", "/v1/admin/config", TOKENS.admin);
    expect(body.config).toMatchObject({
      routingPolicy: "cost-saver",
      apiTokens: expect.any(Array),
    });
    expect(JSON.stringify(body)).not.toContain(TOKENS.admin);
    expect(JSON.stringify(body)).not.toContain("sim-local-key");
  });
});
