import { randomBytes } from "node:crypto";
import { context } from "@opentelemetry/api";
import { suppressTracing } from "@opentelemetry/core";
import type { Config } from "../shared/config.ts";
import { createAssistant } from "../agent/pipeline.ts";
import type { Answer } from "../agent/synthesizer.ts";
import { createApi, listenApi } from "../api/server.ts";
import { recordFeedback } from "../lifecycle/feedback.ts";
import type { Diagnosis } from "../diagnosis/index.ts";
import type { RunningServices } from "../services/start-services.ts";
import type { SpanRecord, TraceStore } from "../store/trace-store.ts";
import { completeTrace } from "../lifecycle/trace-completion.ts";
import { governanceFor } from "../governance/runtime.ts";
import { flushTelemetry } from "../telemetry/handle.ts";
import { checkExpectations, type ExpectationResult } from "./expectations.ts";
import type { Scenario } from "./scenario.ts";

export interface ReplayResult {
  scenario: string;
  traceId: string;
  answer: Answer;
  diagnosis: Diagnosis;
  expectations: ExpectationResult;
  spans: SpanRecord[];
}

/**
 * Replays one scenario end to end: sets the world, asks through the real HTTP API with the
 * scenario's configuration, waits for the whole trace, applies late feedback, then diagnoses.
 * The assistant never learns that a scenario is running: only the world and its configuration change.
 */
export async function replay(
  scenario: Scenario,
  baseConfig: Config,
  services: RunningServices,
  store: TraceStore,
): Promise<ReplayResult> {
  await applyWorld(services, scenario.rawWorld);
  // The runner's own server takes the configured tokens and one of the runner's, so it works whether or not API_TOKENS is set.
  const runnerToken = randomBytes(24).toString("hex");
  const config: Config = {
    ...baseConfig,
    apiTokens:
      baseConfig.apiTokens.size > 0
        ? new Map([...baseConfig.apiTokens, [runnerToken, "analyst"]])
        : baseConfig.apiTokens,
    routingPolicy: scenario.config.routing_policy ?? baseConfig.routingPolicy,
    synthesizerPrompt: scenario.config.synthesizer_prompt ?? baseConfig.synthesizerPrompt,
    runbookIndexAsOf: scenario.world.runbooks.index_as_of,
  };
  const { server, url } = await listenApi(
    createApi(createAssistant(config, services.urls), store),
    0,
    "127.0.0.1",
  );
  try {
    const { trace_id: traceId, answer } = await ask(url, scenario.id, scenario.request, runnerToken);
    await flushTelemetry();
    const exporters = Object.values(services.started);
    const governance = governanceFor(config);
    let { spans, diagnosis } = await completeTrace(store, traceId, exporters, governance);

    if (scenario.feedback) {
      const root = spans.find((span) => span.oiKind === "AGENT");
      const answeredAt = root ? Number(root.endNs / 1_000_000n) : Date.now();
      recordFeedback(
        store,
        governance,
        { traceId, outcome: scenario.feedback.outcome, comment: scenario.feedback.comment ?? null },
        new Date(answeredAt + scenario.feedback.after),
      );
      await flushTelemetry();
      ({ spans, diagnosis } = await completeTrace(store, traceId, exporters, governance));
    }

    return {
      scenario: scenario.id,
      traceId,
      answer,
      diagnosis,
      expectations: checkExpectations(scenario.expect, diagnosis),
      spans,
    };
  } finally {
    await new Promise((resolve) => server.close(resolve));
    // Back to the healthy world: the services may go on serving (npm start), and the next question is not part of the scenario.
    await applyWorld(services, {});
  }
}

/** Each mock service takes its own section of the world; loading it also resets the service's state. */
async function applyWorld(services: RunningServices, world: Scenario["rawWorld"]) {
  const sections = { mdm: services.urls.mdm, sessions: services.urls.sessions } as const;
  for (const [section, baseUrl] of Object.entries(sections)) {
    const response = await fetchUntraced(`${baseUrl}/admin/world`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(world[section] ?? {}),
    });
    if (!response.ok)
      throw new Error(`${section} refused the world: ${response.status} ${await response.text()}`);
  }
}

/**
 * Asks as an analyst would, in a session named after the scenario (`scenario:<id>`): the trace list
 * shows which replay a trace came from, while the assistant itself never knows a scenario runs.
 */
async function ask(
  apiUrl: string,
  scenarioId: string,
  request: Scenario["request"],
  token: string,
): Promise<{ trace_id: string; answer: Answer }> {
  const response = await fetchUntraced(`${apiUrl}/v1/incidents/ask`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({
      question: request.question,
      session_id: `scenario:${scenarioId}`,
      ...(request.analyst && { analyst: request.analyst }),
    }),
  });
  const body = (await response.json()) as { trace_id: string; answer: Answer; error?: unknown };
  if (!response.ok)
    throw new Error(`the assistant answered ${response.status}: ${JSON.stringify(body.error)}`);
  return body;
}

/** The runner is the analyst, not part of the system under observation: its own calls stay out of the trace. */
function fetchUntraced(url: string, init: RequestInit): Promise<Response> {
  return context.with(suppressTracing(context.active()), () => fetch(url, init));
}
