import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { loadConfig } from "../../src/shared/config.ts";
import { startServices, type RunningServices } from "../../src/services/start-services.ts";
import { openTraceStore, type TraceStore, type SpanRecord } from "../../src/store/trace-store.ts";
import { waitForTrace } from "../../src/store/wait-for-trace.ts";
import { NODE_ARGS, startCli, stop, tempStore } from "../helpers/processes.ts";

const ELENA =
  "Elena Ruiz (E-10442) reports laptop LT-4821 stolen at the airport. Is it encrypted, and are her sessions revoked?";

let services: RunningServices;
let serve: ChildProcess | undefined;
let api: string;
let store: TraceStore;
let serveOutput: () => string;

/**
 * The assistant runs as `cli serve` in its own process; the test owns the mock services so it can set their
 * world. The model is configured as any OpenAI-compatible server would be (ASSISTANT_LLM=openai): the
 * simulated model, started here as an external server.
 */
beforeAll(async () => {
  const { traceStore } = tempStore();
  services = await startServices(loadConfig({ TRACE_STORE: traceStore }));
  const started = await startCli(
    [process.execPath, ...NODE_ARGS, "serve"],
    {
      TRACE_STORE: traceStore,
      PORT: "0",
      ASSISTANT_LLM: "openai",
      OPENAI_BASE_URL: services.urls.llm,
      MDM_URL: services.urls.mdm,
      SESSIONS_URL: services.urls.sessions,
    },
    /listening on (\S+)/,
  );
  serve = started.child;
  serveOutput = started.output;
  api = started.match[1] as string;
  store = await openTraceStore(traceStore);
});

afterAll(async () => {
  await stop(serve);
  await services?.stop();
  await store?.close();
});

async function setWorld(section: "mdm" | "sessions", world: unknown) {
  const response = await fetch(`${services.urls[section]}/admin/world`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(world),
  });
  expect(response.status).toBe(204);
}

async function ask(body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${api}/v1/incidents/ask`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const traceOf = (traceId: string) => waitForTrace(store, traceId, Object.values(services.started));

const childrenOf = (spans: SpanRecord[], parent: SpanRecord) =>
  spans.filter((span) => span.parentSpanId === parent.spanId);

function only(spans: SpanRecord[], predicate: (span: SpanRecord) => boolean): SpanRecord {
  const matching = spans.filter(predicate);
  expect(matching).toHaveLength(1);
  return matching[0] as SpanRecord;
}

/** Below `span`: the HTTP CLIENT span and, below it, the called service's SERVER span. */
function expectHttpHop(spans: SpanRecord[], span: SpanRecord, service: string, route: string) {
  const client = only(childrenOf(spans, span), (child) => child.spanKind === "CLIENT");
  expect(client.service).toBe("incident-assistant");
  const server = only(childrenOf(spans, client), (child) => child.spanKind === "SERVER");
  expect(server.service).toBe(service);
  expect(server.name).toBe(route);
  return { client, server };
}

describe("one question, one trace", () => {
  it("answers and records the whole span tree across four services", async () => {
    await setWorld("mdm", {});
    await setWorld("sessions", {});
    const { status, body } = await ask({ question: ELENA, analyst: "analyst-7", session_id: "session-1" });
    expect(status).toBe(200);
    expect(body).toMatchObject({ route: "strong", model: "sim-large" });
    expect(body.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(body.cost_usd).toBeGreaterThan(0);

    const spans = await traceOf(body.trace_id as string);
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([body.trace_id]));
    expect(new Set(spans.map((span) => span.service))).toEqual(
      new Set(["incident-assistant", "llm", "mdm", "sessions"]),
    );

    const root = only(spans, (span) => span.parentSpanId === null);
    expect(root).toMatchObject({ name: "answer_incident", oiKind: "AGENT", statusCode: "OK" });
    expect(root.resource["openinference.project.name"]).toBe("incident-assistant");
    expect(root.attributes).toMatchObject({
      "session.id": "session-1",
      "user.id": expect.stringMatching(/^name_[0-9a-f]{10}$/),
      "incident.config.synthesizer_prompt_version": "synthesizer-v2",
      "incident.config.router_prompt_version": "router-v1",
      "incident.config.routing_policy": "cost-saver",
    });
    expect(root.attributes["incident.request_id"]).toEqual(expect.any(String));

    const stages = childrenOf(spans, root);
    expect(stages.map((span) => [span.name, span.oiKind])).toEqual([
      ["route", "CHAIN"],
      ["retrieve", "RETRIEVER"],
      ["execute_tool mdm_lookup_device", "TOOL"],
      ["execute_tool revoke_sessions", "TOOL"],
      ["synthesize", "CHAIN"],
    ]);
    const [route, retrieve, mdm, revoke, synthesize] = stages as [
      SpanRecord,
      SpanRecord,
      SpanRecord,
      SpanRecord,
      SpanRecord,
    ];

    expect(route.attributes).toMatchObject({
      "incident.category": "lost_or_stolen_device",
      "incident.severity": "high",
      "route.name": "strong",
      "route.model": "sim-large",
      "route.policy": "cost-saver",
      "route.reason": "cost-saver keeps high severity on the strong route",
    });
    const classify = only(childrenOf(spans, route), (span) => span.oiKind === "LLM");
    expect(classify.scope?.name).toBe("@arizeai/openinference-instrumentation-langchain");
    expect(classify.attributes).toMatchObject({
      "llm.model_name": "sim-small",
      "llm.prompt_template.version": "router-v1",
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "sim-small",
    });
    // LangChain's LLM span is never active: the model's HTTP call is its sibling under the stage.
    expect(childrenOf(spans, classify)).toEqual([]);
    expectHttpHop(spans, route, "llm", "POST /v1/chat/completions");

    expect(retrieve.attributes["retrieval.index.snapshot_id"]).toMatch(/^idx-\d{4}-\d{2}-\d{2}-[0-9a-f]{8}$/);
    expect(retrieve.attributes["retrieval.documents.0.document.id"]).toBe("device-policy");
    expect(
      JSON.parse(retrieve.attributes["retrieval.documents.0.document.metadata"] as string),
    ).toMatchObject({
      rank: 1,
      version: 2,
      current_version: 2,
      kind: "policy",
    });
    expect(retrieve.attributes["retrieval.documents.0.document.score"]).toEqual(expect.any(Number));

    expect(mdm.attributes).toMatchObject({
      "tool.name": "mdm_lookup_device",
      "tool.outcome": "success",
      "tool.http_status": 200,
      "tool.retries": 0,
      "tool.arguments": '{"asset_tag":"LT-4821"}',
      "tool.result.freshness_budget_s": 3600,
      "tool.result.device.encrypted": true,
      "gen_ai.tool.name": "mdm_lookup_device",
      "gen_ai.operation.name": "execute_tool",
    });
    expect(mdm.attributes["tool.result.age_s"]).toBeGreaterThanOrEqual(299);
    expect(mdm.attributes["tool.result.age_s"]).toBeLessThan(330);
    expectHttpHop(spans, mdm, "mdm", "GET /v1/devices/:asset");

    expect(revoke.attributes).toMatchObject({ "tool.outcome": "success", "tool.http_status": 200 });
    expect(revoke.statusCode).not.toBe("ERROR");
    expectHttpHop(spans, revoke, "sessions", "POST /v1/employees/:employee_id/sessions/revoke");

    const answer = only(childrenOf(spans, synthesize), (span) => span.oiKind === "LLM");
    expect(answer.attributes).toMatchObject({
      "llm.model_name": "sim-large",
      "llm.prompt_template.version": "synthesizer-v2",
      "gen_ai.response.finish_reasons": ["stop"],
    });
    expectHttpHop(spans, synthesize, "llm", "POST /v1/chat/completions");
    for (const key of [
      "llm.token_count.prompt",
      "llm.token_count.completion",
      "llm.cost.total",
      "gen_ai.usage.input_tokens",
    ]) {
      expect(answer.attributes[key]).toBeGreaterThan(0);
    }
    expect(JSON.parse(synthesize.attributes["incident.answer.claims"] as string)).toEqual([
      { kind: "device_encrypted", evidence: [`tool:${mdm.attributes["tool.id"]}`] },
      { kind: "sessions_revoked", evidence: [`tool:${revoke.attributes["tool.id"]}`] },
    ]);
  });

  it("marks a 403 revocation ERROR with error.type, the sessions SERVER span beneath it", async () => {
    await setWorld("mdm", {});
    await setWorld("sessions", { service_account_scopes: ["sessions:read"] });
    const { body } = await ask({ question: ELENA });
    const spans = await traceOf(body.trace_id as string);
    const revoke = only(spans, (span) => span.name === "execute_tool revoke_sessions");
    expect(revoke.statusCode).toBe("ERROR");
    expect(revoke.attributes).toMatchObject({
      "error.type": "insufficient_scope",
      "tool.outcome": "error",
      "tool.http_status": 403,
      "tool.retries": 0,
    });
    const { server } = expectHttpHop(
      spans,
      revoke,
      "sessions",
      "POST /v1/employees/:employee_id/sessions/revoke",
    );
    expect(server.attributes["http.response.status_code"]).toBe(403);

    const logLine = serveOutput()
      .split("\n")
      .find((line) => line.includes('"tool call failed"') && line.includes(body.trace_id as string));
    expect(JSON.parse(logLine ?? "{}")).toMatchObject({
      span_id: revoke.spanId,
      error_type: "insufficient_scope",
    });

    const metrics = await (await fetch(`${api}/metrics`)).text();
    expect(metrics).toMatch(/incident_stage_duration_count\{stage="tool",outcome="error"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/gen_ai_client_token_usage_count\{/);
    expect(metrics).toMatch(
      /otel_sdk_exporter_span_exported_total\{[^}]*otel_component_name="sqlite"[^}]*\} [1-9]/,
    );
  });

  it("retries a 503 and records each attempt under the TOOL span", async () => {
    await setWorld("mdm", {});
    await setWorld("sessions", { faults: { status: 503, fail_first: 2 } });
    const { body } = await ask({ question: ELENA });
    const spans = await traceOf(body.trace_id as string);
    const revoke = only(spans, (span) => span.name === "execute_tool revoke_sessions");
    expect(revoke.attributes).toMatchObject({ "tool.outcome": "success", "tool.retries": 2 });
    // Failed HTTP attempts under a tool that succeeded do not make the trace fail, in the list or the detail.
    const detail = (await (await fetch(`${api}/v1/traces/${body.trace_id as string}`)).json()) as {
      summary: { status: string };
    };
    expect(detail.summary.status).toBe("OK");
    expect(childrenOf(spans, revoke).filter((span) => span.spanKind === "CLIENT")).toHaveLength(3);
  });

  it("keeps concurrent requests in their own traces", async () => {
    await setWorld("mdm", {});
    await setWorld("sessions", {});
    const assets = ["LT-4821", "MBP-31007", "PH-7782", "LT-5530"];
    const requests = Array.from({ length: 8 }, (_, index) => ({
      asset: assets[index % assets.length] as string,
      session: `concurrent-${index}`,
    }));
    const answers = await Promise.all(
      requests.map(({ asset, session }) =>
        ask({
          question: `Laptop ${asset} was stolen. Is it encrypted? Revoke the owner's sessions.`,
          session_id: session,
        }),
      ),
    );
    const traceIds = answers.map((answer) => answer.body.trace_id as string);
    expect(new Set(traceIds).size).toBe(8);
    for (const [index, traceId] of traceIds.entries()) {
      const spans = await traceOf(traceId);
      const { asset, session } = requests[index]!;
      const root = only(spans, (span) => span.parentSpanId === null);
      expect(root.attributes["session.id"]).toBe(session);
      const lookup = only(spans, (span) => span.name === "GET /v1/devices/:asset");
      expect(lookup.attributes["url.path"]).toBe(`/v1/devices/${asset}`);
      const ids = new Set(spans.map((span) => span.spanId));
      for (const span of spans.filter((candidate) => candidate !== root))
        expect(ids.has(span.parentSpanId!)).toBe(true);
    }
  });

  it("continues an incoming traceparent", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const { body } = await ask({ question: ELENA }, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(body.trace_id).toBe(traceId);
    const spans = await traceOf(traceId);
    expect(only(spans, (span) => span.name === "answer_incident").parentSpanId).toBe("00f067aa0ba902b7");
  });

  it("rejects bad input with a 400 naming the field", async () => {
    expect(await ask({})).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_request", field: "question" } },
    });
    expect(await ask({ question: "  " })).toMatchObject({
      status: 400,
      body: { error: { field: "question" } },
    });
    expect(await ask({ question: ELENA, analyst: "a b" })).toMatchObject({
      status: 400,
      body: { error: { field: "analyst" } },
    });
    const malformed = await fetch(`${api}/v1/incidents/ask`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: "invalid_json" } });
  });
});

describe("questions outside the stolen-device story", () => {
  const summaryOf = async (traceId: string) => {
    const response = await fetch(`${api}/v1/traces?limit=100`);
    const { traces } = (await response.json()) as {
      traces: { trace_id: string; category: string; verdict: string; finding_count: number }[];
    };
    return traces.find((trace) => trace.trace_id === traceId);
  };

  it("answers a phishing report from its runbook, citing it, with nothing to flag", async () => {
    const { status, body } = await ask({
      question: "I clicked a link in a phishing email that looked like it came from payroll. What now?",
    });
    expect(status).toBe(200);
    const answer = body.answer as { summary: string; claims: unknown[]; citations: string[] };
    expect(answer.summary).toMatch(/^Follow Reported phishing email \(doc:phishing@1\): /);
    expect(answer.citations).toContain("doc:phishing@1");
    expect(answer.claims).toEqual([]);
    await expect
      .poll(async () => summaryOf(body.trace_id as string), { timeout: 60_000 })
      .toMatchObject({ category: "phishing", verdict: "supported", finding_count: 0 });
  });

  it("says a question about the weather is not an incident, with a caveat instead of advice", async () => {
    const { body } = await ask({ question: "What is the weather today?" });
    const answer = body.answer as { summary: string; caveats: { kind: string }[]; citations: string[] };
    expect(answer.summary).toContain("does not look like a security incident");
    expect(answer.caveats.map((caveat) => caveat.kind)).toEqual(["unverified"]);
    await expect
      .poll(async () => summaryOf(body.trace_id as string), { timeout: 60_000 })
      .toMatchObject({ category: "other", finding_count: 0 });
  });
});

describe("the monitoring page of serve", () => {
  it("shows this process's /metrics stage counters beside the traces", async () => {
    expect((await ask({ question: "Laptop LT-4821 was stolen. Is it encrypted?" })).status).toBe(200);
    const page = await (await fetch(`${api}/monitoring`)).text();
    const metricsTable = page.split("The same stages on /metrics")[1]?.split("</table>")[0];
    expect(metricsTable).toMatch(/<th scope="row">synthesize<\/th>\s*<td class="num">[1-9]\d*<\/td>/);
  });
});

describe("feedback", () => {
  async function postFeedback(body: unknown) {
    const response = await fetch(`${api}/v1/feedback`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it("joins the trace as a linked span and a stored annotation", async () => {
    await setWorld("sessions", {});
    const { body } = await ask({ question: ELENA });
    const traceId = body.trace_id as string;
    const root = only(await traceOf(traceId), (span) => span.parentSpanId === null);

    const posted = await postFeedback({
      trace_id: traceId,
      outcome: "escalated",
      comment: "sessions still active",
    });
    expect(posted.status).toBe(202);

    await expect
      .poll(async () => (await store.spansOf(traceId)).some((span) => span.name === "feedback"))
      .toBe(true);
    const feedback = only(await store.spansOf(traceId), (span) => span.name === "feedback");
    expect(feedback.parentSpanId).toBe(root.spanId);
    expect(feedback.links).toEqual([
      { traceId, spanId: root.spanId, attributes: { "link.reason": "feedback_on" } },
    ]);
    expect(feedback.attributes).toMatchObject({
      "feedback.outcome": "escalated",
      "openinference.span.kind": "EVALUATOR",
    });
    expect(await store.annotationsOf(traceId)).toContainEqual(
      expect.objectContaining({
        name: "analyst_feedback",
        annotatorKind: "HUMAN",
        label: "escalated",
        spanId: root.spanId,
      }),
    );
  });

  it("answers 404 for an unknown trace and 400 for a bad outcome", async () => {
    expect(await postFeedback({ trace_id: "0".repeat(32), outcome: "confirmed" })).toMatchObject({
      status: 404,
      body: { error: { code: "trace_not_found", field: "trace_id" } },
    });
    expect(await postFeedback({ trace_id: "0".repeat(32), outcome: "great" })).toMatchObject({
      status: 400,
      body: { error: { field: "outcome" } },
    });
  });
});
