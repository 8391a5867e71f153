import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type Express } from "express";
import { convertToOpenAITool } from "@langchain/core/utils/function_calling";
import { ChatOpenAI } from "@langchain/openai";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { trace } from "@opentelemetry/api";
import { createLlmApp } from "../../mock-tools/llm/app.ts";
import { createMdmApp } from "../../mock-tools/mdm/app.ts";
import { createSessionsApp } from "../../mock-tools/sessions/app.ts";
import { loadConfig } from "../../src/shared/config.ts";
import { ChatModels } from "../../src/agent/chat-model.ts";
import { chooseRoute, route, type Classification } from "../../src/agent/router.ts";
import { IndexSnapshot, loadCorpus, retrieve } from "../../src/agent/retriever.ts";
import { lookupDevice, mdmLookupDeviceTool } from "../../src/agent/tools/mdm-lookup-device.ts";
import { revokeSessions, revokeSessionsTool } from "../../src/agent/tools/revoke-sessions.ts";
import type { ServiceEndpoint, ToolResult } from "../../src/agent/tools/http-tool.ts";
import { synthesize, type SynthesisInput } from "../../src/agent/synthesizer.ts";
import { useInMemoryTracing } from "../helpers/in-memory-tracing.ts";

const exporter = useInMemoryTracing();
const config = loadConfig({});
const servers: Server[] = [];
const mdmService = createMdmApp();
const sessionsService = createSessionsApp();
let llmUrl: string;
let models: ChatModels;
let mdm: ServiceEndpoint;
let sessions: ServiceEndpoint;

async function serve(app: Express): Promise<string> {
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  llmUrl = `${await serve(createLlmApp())}/v1`;
  models = new ChatModels(llmUrl, config);
  const retry = { timeoutMs: 300, maxRetries: 2 };
  mdm = { baseUrl: await serve(mdmService.app), token: "test-token", retry };
  sessions = { baseUrl: await serve(sessionsService.app), token: "test-token", retry };
});
afterAll(() => servers.forEach((server) => server.close()));
beforeEach(() => {
  exporter.reset();
  mdmService.setWorld({});
  sessionsService.setWorld({});
});

const spanNamed = (name: string): ReadableSpan => {
  const span = exporter.getFinishedSpans().find((candidate) => candidate.name === name);
  if (!span) throw new Error(`no span ${name}`);
  return span;
};
const llmSpans = () =>
  exporter.getFinishedSpans().filter((span) => span.attributes["openinference.span.kind"] === "LLM");
const childrenOf = (parent: ReadableSpan) =>
  exporter
    .getFinishedSpans()
    .filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);

describe("router", () => {
  it.each([
    ["quality-first", "low", "strong"],
    ["cost-saver", "low", "fast"],
    ["cost-saver", "medium", "fast"],
    ["cost-saver", "high", "strong"],
    ["cost-saver", "critical", "strong"],
    ["fast-only", "critical", "fast"],
  ] as const)("%s routes %s severity to the %s route", (policy, severity, expected) => {
    expect(chooseRoute(severity, policy).route).toBe(expected);
  });

  it("prepares each model's classifier once, not at every request", async () => {
    const question = "Someone stole laptop LT-4821 from E-10442's car.";
    const prepared: string[] = [];
    const fresh = new ChatModels(llmUrl, config);
    const spy = (name: string, purpose: string, prepare: Parameters<ChatModels["runnable"]>[2]) =>
      fresh.runnable(name, purpose, (model) => (prepared.push(name), prepare(model)));
    const counting = Object.assign(Object.create(fresh) as ChatModels, { runnable: spy });
    const routeWith = (routerModel: string) => route(question, counting, { ...config, routerModel });
    await routeWith(config.fastModel);
    await routeWith(config.fastModel);
    await routeWith(config.strongModel);
    expect(prepared).toEqual([config.fastModel, config.strongModel]);
  });

  it("serializes each prepared model for the tracer once, not at every call", async () => {
    const question = "Someone stole laptop LT-4821 from E-10442's car.";
    const toJSON = vi.spyOn(ChatOpenAI.prototype, "toJSON");
    try {
      const fresh = new ChatModels(llmUrl, config);
      for (let call = 0; call < 3; call++) await route(question, fresh, config);
      expect(toJSON).toHaveBeenCalledTimes(1);
      expect(llmSpans()).toHaveLength(3);
    } finally {
      toJSON.mockRestore();
    }
  });

  it("classifies with one LangChain LLM span under the route span and records the decision", async () => {
    const question = "Someone stole laptop LT-4821 from E-10442's car.";
    const decision = await route(question, models, config);
    expect(decision).toMatchObject({ route: "strong", model: "sim-large" });
    expect(decision.classification).toMatchObject({
      category: "lost_or_stolen_device",
      asset_tags: ["LT-4821"],
    });
    const routeSpan = spanNamed("route");
    expect(routeSpan.attributes).toMatchObject({ "route.name": "strong", "incident.severity": "high" });
    const [llmSpan, ...others] = llmSpans();
    expect(others).toEqual([]);
    expect(llmSpan?.instrumentationScope.name).toBe("@arizeai/openinference-instrumentation-langchain");
    expect(llmSpan?.parentSpanContext?.spanId).toBe(routeSpan.spanContext().spanId);
    const attributes = llmSpan?.attributes ?? {};
    expect(attributes).toMatchObject({
      "llm.model_name": "sim-small",
      "llm.provider": "openai",
      "llm.tools.0.tool.json_schema": expect.stringContaining("classify_incident"),
      "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "classify_incident",
      "llm.prompt_template.version": "router-v1",
      "llm.prompt_template.template": expect.stringContaining("{question}"),
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "sim-small",
      "gen_ai.response.finish_reasons": ["tool_calls"],
    });
    expect(JSON.parse(attributes["llm.prompt_template.variables"] as string)).toEqual({ question });
    const prompt = attributes["llm.token_count.prompt"] as number;
    const completion = attributes["llm.token_count.completion"] as number;
    expect(prompt).toBeGreaterThan(0);
    expect(attributes["gen_ai.usage.input_tokens"]).toBe(prompt);
    expect(attributes["gen_ai.usage.output_tokens"]).toBe(completion);
    expect(attributes["llm.cost.prompt"]).toBeCloseTo((prompt * 0.25) / 1e6, 12);
    expect(attributes["llm.cost.total"]).toBeCloseTo((prompt * 0.25 + completion * 1.25) / 1e6, 12);
    expect(decision.costUsd).toBeCloseTo(attributes["llm.cost.total"] as number, 12);
  });

  it("puts the model's HTTP call under the stage span, beside the LLM span that is never active", async () => {
    await route("Laptop LT-4821 of E-10442 was stolen.", models, config);
    const routeSpan = spanNamed("route");
    const children = childrenOf(routeSpan);
    expect(children.map((span) => span.attributes["openinference.span.kind"] ?? span.name).sort()).toEqual([
      "LLM",
      "POST",
    ]);
    const [llmSpan] = llmSpans();
    expect(childrenOf(llmSpan as ReadableSpan)).toEqual([]);
  });

  it("gives overlapping requests each their own LLM span, parent and prompt variables", async () => {
    const questions = ["Laptop LT-1001 of E-1001 was stolen.", "Phone PH-2002 of E-2002 was lost."];
    const tracer = trace.getTracer("test");
    await Promise.all(
      questions.map((question) =>
        tracer.startActiveSpan(`request ${question}`, async (request) => {
          await route(question, models, config);
          request.end();
        }),
      ),
    );
    for (const question of questions) {
      const request = spanNamed(`request ${question}`);
      const routeSpan = childrenOf(request).find((span) => span.name === "route") as ReadableSpan;
      const llmSpan = childrenOf(routeSpan).find(
        (span) => span.attributes["openinference.span.kind"] === "LLM",
      );
      expect(llmSpan?.spanContext().traceId).toBe(request.spanContext().traceId);
      expect(JSON.parse(llmSpan?.attributes["llm.prompt_template.variables"] as string)).toEqual({
        question,
      });
    }
  });
});

describe("retriever", () => {
  const corpus = loadCorpus(config.runbooksDir);

  it("holds the versions in effect on its as-of date", () => {
    const today = new Date("2026-11-27T12:00:00Z");
    const current = new IndexSnapshot(corpus, "current", today);
    const march = new IndexSnapshot(corpus, "2026-03-01", today);
    const policyNow = current
      .query("device policy stolen laptop", 5)
      .find((doc) => doc.id === "device-policy");
    const policyThen = march
      .query("device policy stolen laptop", 5)
      .find((doc) => doc.id === "device-policy");
    expect(policyNow).toMatchObject({ version: 2, currentVersion: 2 });
    expect(policyThen).toMatchObject({ version: 1, currentVersion: 2 });
    expect(current.id).not.toBe(march.id);
    expect(new IndexSnapshot(corpus, "current", today).id).toBe(current.id);
  });

  it("records each document with id, score, rank, version and the snapshot id", async () => {
    const index = new IndexSnapshot(corpus, "current");
    const documents = await retrieve("laptop stolen, is it encrypted?", "lost_or_stolen_device", index, 3);
    expect(documents).toHaveLength(3);
    const attributes = spanNamed("retrieve").attributes;
    expect(attributes["openinference.span.kind"]).toBe("RETRIEVER");
    expect(attributes["retrieval.index.snapshot_id"]).toBe(index.id);
    documents.forEach((doc, n) => {
      expect(attributes[`retrieval.documents.${n}.document.id`]).toBe(doc.id);
      expect(attributes[`retrieval.documents.${n}.document.score`]).toBe(doc.score);
      expect(JSON.parse(attributes[`retrieval.documents.${n}.document.metadata`] as string)).toMatchObject({
        rank: n + 1,
        version: doc.version,
      });
    });
  });
});

describe("tool clients", () => {
  it("returns a fresh device record as success with its as-of time and facts", async () => {
    const result = await lookupDevice(" lt-4821 ", mdm);
    expect(result).toMatchObject({
      outcome: "success",
      httpStatus: 200,
      retries: 0,
      arguments: { asset_tag: "LT-4821" },
    });
    expect(result.ageS).toBeGreaterThanOrEqual(299);
    const span = spanNamed("execute_tool mdm_lookup_device");
    expect(span.attributes).toMatchObject({
      "tool.outcome": "success",
      "tool.result.device.encrypted": true,
    });
    expect(span.status.code).not.toBe(2);
  });

  it("calls a 200 without required fields partial", async () => {
    mdmService.setWorld({ faults: { drop_fields: ["encrypted"] } });
    const result = await lookupDevice("LT-4821", mdm);
    expect(result).toMatchObject({ outcome: "partial", missingFields: ["encrypted"] });
    expect(
      spanNamed("execute_tool mdm_lookup_device").attributes["tool.result.device.encrypted"],
    ).toBeUndefined();
  });

  it("does not retry a 403 and marks the span ERROR with error.type", async () => {
    sessionsService.setWorld({ service_account_scopes: ["sessions:read"] });
    const result = await revokeSessions("E-10442", "test", sessions);
    expect(result).toMatchObject({
      outcome: "error",
      httpStatus: 403,
      errorType: "insufficient_scope",
      retries: 0,
    });
    const span = spanNamed("execute_tool revoke_sessions");
    expect(span.status.code).toBe(2);
    expect(span.attributes["error.type"]).toBe("insufficient_scope");
  });

  it("retries 5xx with backoff until success", async () => {
    sessionsService.setWorld({ faults: { status: 503, fail_first: 2 } });
    expect(await revokeSessions("E-10442", "test", sessions)).toMatchObject({
      outcome: "success",
      retries: 2,
    });
  });

  it("gives up after the retries when every attempt times out", async () => {
    mdmService.setWorld({ faults: { latency_ms: 1_000 } });
    const result = await lookupDevice("LT-4821", mdm);
    expect(result).toMatchObject({ outcome: "error", httpStatus: null, errorType: "timeout", retries: 2 });
    const span = spanNamed("execute_tool mdm_lookup_device");
    expect(span.events.map((event) => event.name)).toContain("exception");
  });
});

const EMPTY_CLASSIFICATION: Classification = {
  category: "other",
  severity: "low",
  employee_ids: [],
  asset_tags: [],
  owner_name: null,
  requested_actions: [],
};

describe("synthesizer", () => {
  const classification: Classification = {
    category: "lost_or_stolen_device",
    severity: "high",
    employee_ids: ["E-10442"],
    asset_tags: ["LT-4821"],
    owner_name: "Elena Ruiz",
    requested_actions: ["lookup_device", "revoke_sessions"],
  };
  const input: SynthesisInput = {
    question: "Revoke?",
    classification,
    documents: [],
    toolResults: [],
    model: "sim-large",
    promptVersion: "v2",
  };
  let failedRevocation: ToolResult;
  beforeEach(async () => {
    sessionsService.setWorld({ service_account_scopes: ["sessions:read"] });
    failedRevocation = await revokeSessions("E-10442", "test", sessions);
  });

  it("v2 on the strong model reports a failed revocation as not done, with a caveat", async () => {
    const { answer, structured } = await synthesize(
      { ...input, toolResults: [failedRevocation], promptVersion: "v2" },
      models,
    );
    expect(structured).toBe(true);
    expect(answer.claims.map((claim) => claim.kind)).toEqual(["sessions_not_revoked"]);
    expect(answer.caveats).toContainEqual(
      expect.objectContaining({ kind: "tool_failed", evidence: [`tool:${failedRevocation.callId}`] }),
    );
    const span = spanNamed("synthesize");
    expect(JSON.parse(span.attributes["incident.answer.claims"] as string)).toEqual([
      { kind: "sessions_not_revoked", evidence: [`tool:${failedRevocation.callId}`] },
    ]);
    const [llmSpan] = llmSpans();
    expect(llmSpan?.attributes).toMatchObject({
      "llm.model_name": "sim-large",
      "llm.prompt_template.version": "synthesizer-v2",
      "gen_ai.output.type": "json",
      "gen_ai.response.finish_reasons": ["stop"],
    });
    expect(llmSpan?.parentSpanContext?.spanId).toBe(span.spanContext().spanId);
  });

  it("v1 lets the same model claim the revocation succeeded", async () => {
    const { answer } = await synthesize(
      { ...input, toolResults: [failedRevocation], promptVersion: "v1" },
      models,
    );
    expect(answer.claims.map((claim) => claim.kind)).toEqual(["sessions_revoked"]);
    expect(answer.caveats).toEqual([]);
  });
});

describe("a model that ignores the response format", () => {
  it.each([
    ["prose", "All is well.", false],
    ["JSON of another shape", '{"summary": 1}', true],
  ])("yields an answer without claims for the diagnosis to flag, given %s", async (_, content, priced) => {
    const prose = express()
      .use(express.json())
      .post("/v1/chat/completions", (request, response) => {
        const body = request.body as { model: string };
        response.json({
          id: "chatcmpl-prose",
          object: "chat.completion",
          created: 0,
          model: body.model,
          choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content } }],
          usage: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 },
        });
      });
    const proseModels = new ChatModels(`${await serve(prose)}/v1`, config);
    const synthesis = await synthesize(
      {
        question: "Revoke?",
        classification: { ...EMPTY_CLASSIFICATION },
        documents: [],
        toolResults: [],
        model: "sim-large",
        promptVersion: "v2",
      },
      proseModels,
    );
    expect(synthesis).toMatchObject({ structured: false, answer: { claims: [], citations: [] } });
    expect(synthesis.answer.summary).toContain("did not match the incident_answer schema");
    // The openai client refuses prose before usage is read; a reply of the wrong shape was still paid for.
    expect(synthesis.costUsd > 0).toBe(priced);
    expect(spanNamed("synthesize").attributes["incident.answer.structured"]).toBe(false);
  });
});

describe("tools as LangChain tools", () => {
  it("bind to a model with the names, descriptions and schemas the TOOL spans record", async () => {
    const bound = [mdmLookupDeviceTool(mdm), revokeSessionsTool(sessions)].map((tool) =>
      convertToOpenAITool(tool),
    );
    expect(bound.map((tool) => tool.function.name)).toEqual(["mdm_lookup_device", "revoke_sessions"]);
    expect(bound[0]?.function.parameters).toMatchObject({
      properties: { asset_tag: { type: "string", pattern: "^[A-Z]{2,3}-\\d{3,6}$" } },
      required: ["asset_tag"],
    });
    await lookupDevice("LT-4821", mdm);
    const recorded = JSON.parse(
      spanNamed("execute_tool mdm_lookup_device").attributes["tool.parameters"] as string,
    ) as unknown;
    expect(recorded).toMatchObject(bound[0]?.function.parameters as object);
  });

  it("run the same traced HTTP call when a model calls them", async () => {
    const output = await revokeSessionsTool(sessions).invoke({ employee_id: "E-10442" });
    expect(JSON.parse(output as string)).toMatchObject({ tool: "revoke_sessions", outcome: "success" });
    expect(spanNamed("execute_tool revoke_sessions").attributes["tool.outcome"]).toBe("success");
  });

  it("refuse arguments their schema does not allow", async () => {
    await expect(mdmLookupDeviceTool(mdm).invoke({ asset_tag: "not a tag" })).rejects.toThrow(/schema/);
  });
});
