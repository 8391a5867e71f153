import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Express } from "express";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { createLlmApp } from "../../mock-tools/llm/app.ts";
import { createMdmApp } from "../../mock-tools/mdm/app.ts";
import { createSessionsApp } from "../../mock-tools/sessions/app.ts";
import { loadConfig } from "../../src/config.ts";
import { LlmClient } from "../../src/agent/llm.ts";
import { chooseRoute, route, type Classification } from "../../src/agent/router.ts";
import { IndexSnapshot, loadCorpus, retrieve } from "../../src/agent/retriever.ts";
import { lookupDevice } from "../../src/agent/tools/mdm-lookup-device.ts";
import { revokeSessions } from "../../src/agent/tools/revoke-sessions.ts";
import type { ServiceEndpoint, ToolResult } from "../../src/agent/tools/http-tool.ts";
import { synthesize } from "../../src/agent/synthesizer.ts";
import { useInMemoryTracing } from "../helpers/in-memory-tracing.ts";

const exporter = useInMemoryTracing();
const config = loadConfig({});
const servers: Server[] = [];
const mdmService = createMdmApp();
const sessionsService = createSessionsApp();
let llm: LlmClient;
let mdm: ServiceEndpoint;
let sessions: ServiceEndpoint;

async function serve(app: Express): Promise<string> {
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  llm = new LlmClient(`${await serve(createLlmApp())}/v1`, config);
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

  it("classifies with an LLM call under the route span and records the decision", async () => {
    const decision = await route("Someone stole laptop LT-4821 from E-10442's car.", llm, config);
    expect(decision).toMatchObject({ route: "strong", model: "sim-large" });
    expect(decision.classification).toMatchObject({
      category: "lost_or_stolen_device",
      asset_tags: ["LT-4821"],
    });
    const routeSpan = spanNamed("route");
    const llmSpan = spanNamed("chat sim-small");
    expect(llmSpan.parentSpanContext?.spanId).toBe(routeSpan.spanContext().spanId);
    expect(routeSpan.attributes).toMatchObject({ "route.name": "strong", "incident.severity": "high" });
    expect(llmSpan.attributes).toMatchObject({
      "openinference.span.kind": "LLM",
      "llm.provider": "openai",
      "llm.tools.0.tool.json_schema": expect.stringContaining("classify_incident"),
      "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "classify_incident",
    });
    const prompt = llmSpan.attributes["llm.token_count.prompt"] as number;
    expect(llmSpan.attributes["llm.cost.prompt"]).toBeCloseTo((prompt * 0.25) / 1e6, 12);
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

describe("synthesizer", () => {
  const classification: Classification = {
    category: "lost_or_stolen_device",
    severity: "high",
    employee_ids: ["E-10442"],
    asset_tags: ["LT-4821"],
    owner_name: "Elena Ruiz",
    requested_actions: ["lookup_device", "revoke_sessions"],
  };
  let failedRevocation: ToolResult;
  beforeEach(async () => {
    sessionsService.setWorld({ service_account_scopes: ["sessions:read"] });
    failedRevocation = await revokeSessions("E-10442", "test", sessions);
  });

  it("v2 on the strong model reports a failed revocation as not done, with a caveat", async () => {
    const { answer } = await synthesize(
      "Revoke?",
      classification,
      [],
      [failedRevocation],
      "sim-large",
      "v2",
      llm,
    );
    expect(answer.claims.map((claim) => claim.kind)).toEqual(["sessions_not_revoked"]);
    expect(answer.caveats).toContainEqual(
      expect.objectContaining({ kind: "tool_failed", evidence: [`tool:${failedRevocation.callId}`] }),
    );
    const span = spanNamed("synthesize");
    expect(JSON.parse(span.attributes["incident.answer.claims"] as string)).toEqual([
      { kind: "sessions_not_revoked", evidence: [`tool:${failedRevocation.callId}`] },
    ]);
    expect(spanNamed("chat sim-large").attributes["llm.prompt_template.version"]).toBe("synthesizer-v2");
  });

  it("v1 lets the same model claim the revocation succeeded", async () => {
    const { answer } = await synthesize(
      "Revoke?",
      classification,
      [],
      [failedRevocation],
      "sim-large",
      "v1",
      llm,
    );
    expect(answer.claims.map((claim) => claim.kind)).toEqual(["sessions_revoked"]);
    expect(answer.caveats).toEqual([]);
  });
});
