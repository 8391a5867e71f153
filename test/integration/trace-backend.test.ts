import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { loadConfig } from "../../src/shared/config.ts";
import { createAssistant } from "../../src/agent/pipeline.ts";
import { createApi } from "../../src/api/server.ts";
import { openTraceStore, type TraceStore, type SpanRecord } from "../../src/store/trace-store.ts";
import { fromOtlpJson, toOtlpJson, type ExportTraceServiceRequestJson } from "../../src/store/otlp.ts";
import { wrongStorySentBy } from "../helpers/trace-builder.ts";
import { runCli } from "../helpers/processes.ts";
import { keepOnly, replayedStores } from "../helpers/shared-replay.ts";
import { startFakePhoenix } from "../helpers/fake-phoenix.ts";

const TOKENS = "ingest:ingest-token-1,analyst:analyst-token-1,admin:admin-token-1";
let traceStore: string;
let store: TraceStore;
let server: Server;
let api: string;
let traceIds: Record<string, string> = {};

/** Three recorded scenarios in one store, served by the API in this process. */
beforeAll(async () => {
  const replayed = await replayedStores();
  traceStore = replayed.traceStore;
  traceIds = keepOnly(replayed, ["healthy", "elena", "cheap-route"]);
  store = await openTraceStore(traceStore);
  const config = loadConfig({
    TRACE_STORE: traceStore,
    RESTRICTED_STORE: join(dirname(traceStore), "restricted.db"),
    API_TOKENS: TOKENS,
  });
  const app = createApi(
    createAssistant(config, { llm: "http://127.0.0.1:9/v1", mdm: "", sessions: "" }),
    store,
  );
  server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.close();
  await store?.close();
});

async function get(path: string, token = "analyst-token-1") {
  const response = await fetch(`${api}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const listed = async (query: string) =>
  ((await get(`/v1/traces?${query}`)).body.traces as { trace_id: string }[]).map((trace) => trace.trace_id);

describe("GET /v1/traces", () => {
  it("lists summaries newest first with verdict, first bad stage, cost and latency", async () => {
    const { body } = await get("/v1/traces");
    const traces = body.traces as Record<string, unknown>[];
    // Replayed in alphabetical order: cheap-route, elena, healthy.
    expect(traces.map((trace) => trace.trace_id)).toEqual([
      traceIds.healthy,
      traceIds.elena,
      traceIds["cheap-route"],
    ]);
    expect(traces[1]).toMatchObject({
      verdict: "unsupported",
      first_bad_stage: "tool",
      route: "strong",
      model: "sim-large",
      prompt_version: "synthesizer-v1",
      feedback_outcome: "escalated",
      status: "ERROR",
    });
    expect(traces[1]!.cost_usd).toBeGreaterThan(0);
    expect(traces[0]).toMatchObject({
      verdict: "supported",
      first_bad_stage: "none",
      finding_count: 0,
      status: "OK",
    });
  });

  it("filters by verdict, finding kind, feedback, route, model and prompt version", async () => {
    expect(await listed("verdict=unsupported")).toEqual([traceIds.elena]);
    expect(await listed("finding=route_downgrade")).toEqual([traceIds["cheap-route"]]);
    expect(await listed("feedback=escalated")).toEqual([traceIds.elena]);
    expect(await listed("route=fast&model=sim-small")).toEqual([traceIds["cheap-route"]]);
    expect(await listed("prompt_version=synthesizer-v2&status=OK")).toEqual([
      traceIds.healthy,
      traceIds["cheap-route"],
    ]);
    expect(await listed(`from=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual([]);
  });

  it("serves one trace with its verdict, first bad stage and findings by kind", async () => {
    const { status, body } = await get(`/v1/traces/${traceIds.elena}`);
    expect(status).toBe(200);
    expect(body.summary).toMatchObject({ verdict: "unsupported", first_bad_stage: "tool" });
    const findings = body.findings as { kind: string; stage: string; spanName: string }[];
    expect(findings.map((finding) => finding.kind)).toEqual(
      expect.arrayContaining(["tool_error", "claim_contradicts_tool", "claim_on_stale_evidence"]),
    );
    expect(findings.find((finding) => finding.kind === "tool_error")).toMatchObject({
      stage: "tool",
      spanName: "execute_tool revoke_sessions",
    });
  });

  it("pages with a cursor", async () => {
    const first = await get("/v1/traces?limit=2");
    const second = await get(`/v1/traces?limit=2&cursor=${first.body.next_cursor as string}`);
    expect([...(first.body.traces as unknown[]), ...(second.body.traces as unknown[])]).toHaveLength(3);
    expect(second.body.next_cursor).toBeNull();
  });

  it("names the bad filter", async () => {
    expect(await get("/v1/traces?limit=0")).toMatchObject({
      status: 400,
      body: { error: { field: "limit" } },
    });
    expect(await get("/v1/traces?colour=red")).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_request" } },
    });
  });
});

describe("named queries", () => {
  it("finds the trace where a tool failed but the answer claimed success", async () => {
    const { body } = await get("/v1/queries/tool-failed-answer-claimed-success");
    expect(body.rows).toEqual([
      expect.objectContaining({
        trace_id: traceIds.elena,
        tool: "revoke_sessions",
        claim: "sessions_revoked",
      }),
    ]);
  });

  it("finds traces that retrieved the latest device policy but did not cite it", async () => {
    const { body } = await get("/v1/queries/policy-retrieved-not-cited");
    const rows = body.rows as { trace_id: string; version: number }[];
    expect(rows.map((row) => row.trace_id).sort()).toEqual([traceIds.elena, traceIds["cheap-route"]].sort());
    expect(rows.every((row) => row.version === 2)).toBe(true);
  });

  it("reports outcomes per route and prompt version, the same from the CLI", async () => {
    const { body } = await get("/v1/queries/route-outcomes");
    expect(body.rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          route: "fast",
          prompt_version: "synthesizer-v2",
          traces: 1,
          unsupported: 0,
        }),
        expect.objectContaining({
          route: "strong",
          prompt_version: "synthesizer-v1",
          traces: 1,
          unsupported: 1,
          escalations: 1,
        }),
      ]),
    );
    const cli = await runCli(["query", "route-outcomes", "--json"], { TRACE_STORE: traceStore });
    expect(JSON.parse(cli.stdout)).toEqual({ query: "route-outcomes", limit: 100, rows: body.rows });
    expect(await get("/v1/queries/nope")).toMatchObject({ status: 404, body: { error: { field: "name" } } });
    expect(await get("/v1/queries/route-outcomes?limit=0")).toMatchObject({
      status: 400,
      body: { error: { field: "limit" } },
    });
    const newest = await get("/v1/queries/policy-retrieved-not-cited?limit=1");
    expect((newest.body.rows as { trace_id: string }[]).map((row) => row.trace_id)).toEqual([traceIds.elena]);
  });
});

describe("bad configuration", () => {
  it("stops serve at start-up with one line naming the variable, exit code 2", async () => {
    const run = await runCli(["serve"], { TRACE_STORE: join(traceStore, "nested.db"), PORT: "0" });
    expect(run.code).toBe(2);
    const [heading, ...problems] = run.stderr.trim().split("\n");
    expect(heading).toBe("invalid configuration:");
    expect(problems).toContainEqual(
      expect.stringMatching(/^ {2}TRACE_STORE=".*nested\.db": cannot hold a store there/),
    );
  });
});

describe("bad input", () => {
  it("gets a 4xx with the error body, never a 5xx", async () => {
    const junk = new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef]);
    const requests: [string, RequestInit?][] = [
      ...["gzip", "br", "deflate"].flatMap((encoding) =>
        ["/v1/incidents/ask", "/v1/feedback"].map((path): [string, RequestInit] => [
          path,
          {
            method: "POST",
            headers: { "content-type": "application/json", "content-encoding": encoding },
            body: junk,
          },
        ]),
      ),
      ["/v1/traces?from=9999-12-31T23:59:59Z"],
      [`/v1/traces?cursor=9223372036854775808:${"a".repeat(32)}`],
      ["/v1/traces/%ff%fe"],
      ["/v1/traces/%ff%fe/payloads"],
      ["/traces/%ff%fe"],
    ];
    for (const [path, init] of requests) {
      const response = await fetch(`${api}${path}`, {
        ...init,
        headers: { ...(init?.headers as Record<string, string>), authorization: "Bearer admin-token-1" },
      });
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(response.status, path).toBeLessThan(500);
      if (path.startsWith("/v1")) {
        expect(await response.json(), path).toEqual({
          error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
        });
      }
    }
  });
});

describe("API tokens", () => {
  it("answers 401 without a token or with an unknown one, 403 for a role too low", async () => {
    expect((await fetch(`${api}/v1/traces`)).status).toBe(401);
    expect((await get("/v1/traces", "not-a-token")).status).toBe(401);
    const retention = (token: string) =>
      fetch(`${api}/v1/admin/retention`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    expect((await retention("analyst-token-1")).status).toBe(403);
    expect(await (await retention("admin-token-1")).json()).toMatchObject({
      deleted: 0,
      retention_ms: 30 * 86_400_000,
      restricted_payloads_deleted: 0,
    });
  });

  it("lets only ingest and admin tokens send spans, and an ingest token do nothing else", async () => {
    const send = (token: string) =>
      fetch(`${api}/v1/traces`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ resourceSpans: [] }),
      });
    expect((await send("analyst-token-1")).status).toBe(403);
    for (const path of ["/v1/Traces", "/v1/traces/", "/V1/TRACES"]) {
      const response = await fetch(`${api}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer analyst-token-1" },
        body: JSON.stringify({ resourceSpans: [] }),
      });
      expect(response.status, path).toBe(403);
    }
    expect((await send("ingest-token-1")).status).toBe(200);
    expect((await send("admin-token-1")).status).toBe(200);
    for (const path of ["/v1/traces", `/v1/traces/${traceIds.elena}`, "/v1/queries/route-outcomes"]) {
      expect(await get(path, "ingest-token-1")).toMatchObject({
        status: 403,
        body: {
          error: { code: "forbidden", message: "an ingest token can only send spans (POST /v1/traces)" },
        },
      });
    }
    const signIn = (token: string) =>
      fetch(`${api}/login`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token, next: "/" }),
        redirect: "manual",
      });
    expect((await signIn("ingest-token-1")).status).toBe(401);
    expect((await signIn("analyst-token-1")).status).toBe(303);
  });

  it("leaves /healthz and /metrics open", async () => {
    expect((await fetch(`${api}/healthz`)).status).toBe(200);
    expect((await fetch(`${api}/metrics`)).status).toBe(200);
  });
});

describe("OTLP in and out", () => {
  it("exports a stored trace as OTLP/JSON that round-trips to the same spans", async () => {
    const run = await runCli(["trace", "export", traceIds.elena!, "--format", "otlp-json"], {
      TRACE_STORE: traceStore,
    });
    const exported = JSON.parse(run.stdout) as ExportTraceServiceRequestJson;
    const { spans, rejected } = fromOtlpJson(exported);
    expect(rejected).toBe(0);
    const byId = (a: SpanRecord, b: SpanRecord) => a.spanId.localeCompare(b.spanId);
    expect(spans.sort(byId)).toEqual((await store.spansOf(traceIds.elena!)).sort(byId));

    const langchain = exported.resourceSpans
      .flatMap((resource) => resource.scopeSpans)
      .filter((scope) => scope.scope?.name === "@arizeai/openinference-instrumentation-langchain");
    const llmSpans = langchain.flatMap((scope) => scope.spans);
    expect(llmSpans).toHaveLength(2);
    for (const span of llmSpans) {
      const keys = span.attributes.map((attribute) => attribute.key);
      expect(keys).toEqual(
        expect.arrayContaining([
          "llm.model_name",
          "llm.token_count.prompt",
          "llm.token_count.completion",
          "llm.cost.total",
          "llm.prompt_template.version",
          "gen_ai.usage.input_tokens",
        ]),
      );
    }
  });

  it("pushes a trace and its diagnosis to a Phoenix-like peer from the CLI", async () => {
    const phoenix = await startFakePhoenix("phoenix-key-1");
    try {
      const elena = traceIds.elena!;
      const args = ["trace", "push", elena, "--endpoint", phoenix.url, "--annotations", "phoenix"];
      const env = { TRACE_STORE: traceStore, OTEL_EXPORTER_OTLP_HEADERS: "" };
      // INCIDENT_API_TOKEN authorizes a push that names no Authorization header itself.
      const pushed = await runCli(args, { ...env, INCIDENT_API_TOKEN: "phoenix-key-1" });
      expect(pushed.code).toBe(0);
      expect(phoenix.spans.map((span) => span.spanId).sort()).toEqual(
        (await store.spansOf(elena)).map((span) => span.spanId).sort(),
      );
      const annotations = [...phoenix.annotations.values()];
      expect(annotations).toContainEqual(
        expect.objectContaining({
          name: "tool_error",
          annotator_kind: "CODE",
          result: expect.objectContaining({ label: "revoke_sessions", score: 0 }),
        }),
      );
      expect(annotations).toContainEqual(
        expect.objectContaining({
          name: "verdict",
          result: expect.objectContaining({ label: "unsupported" }),
        }),
      );

      const json = await runCli(
        [...args, "--protocol", "http/json", "--header", "authorization=Bearer phoenix-key-1"],
        env,
      );
      expect(json.code).toBe(1);
      expect(json.stderr).toMatch(/415/);
      const unauthorized = await runCli(args, env);
      expect(unauthorized.code).toBe(1);
    } finally {
      await phoenix.close();
    }
  });

  it("diagnoses a trace that another process sent over OTLP", async () => {
    const traceId = "5d2a1c0e9b8f7a6d5c4b3a2918070605";
    const spans = wrongStorySentBy(traceId);
    const response = await fetch(`${api}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer ingest-token-1" },
      body: JSON.stringify(toOtlpJson(spans)),
    });
    expect(response.status).toBe(200);
    await expect.poll(async () => (await store.spansOf(traceId)).length).toBe(spans.length);

    const run = await runCli(["diagnose", traceId, "--json"], { TRACE_STORE: traceStore });
    const { diagnosis } = JSON.parse(run.stdout) as {
      diagnosis: { verdict: string; findings: { kind: string }[] };
    };
    expect(diagnosis.verdict).toBe("unsupported");
    expect(diagnosis.findings.map((finding) => finding.kind)).toEqual([
      "tool_error",
      "claim_contradicts_tool",
    ]);
    expect(
      (await store.annotationsOf(traceId)).map((annotation) => [annotation.name, annotation.annotatorKind]),
    ).toEqual([
      ["tool_error", "CODE"],
      ["claim_contradicts_tool", "CODE"],
      ["verdict", "CODE"],
    ]);
  });
});
