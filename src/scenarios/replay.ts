import type { Config } from "../shared/config.ts";
import type { Answer } from "../agent/synthesizer.ts";
import { recordFeedback } from "../lifecycle/feedback.ts";
import type { Diagnosis } from "../diagnosis/index.ts";
import type { RunningServices } from "../services/start-services.ts";
import type { SpanRecord, TraceStore } from "../store/trace-store.ts";
import { completeTrace } from "../lifecycle/trace-completion.ts";
import { governanceFor } from "../governance/runtime.ts";
import { flushTelemetry } from "../telemetry/handle.ts";
import { checkExpectations, type ExpectationResult } from "./expectations.ts";
import type { Scenario } from "./scenario.ts";
import { putWorld, startRunnerApi, worldServices } from "./runner-api.ts";

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
  const api = await startRunnerApi(
    {
      ...baseConfig,
      routingPolicy: scenario.config.routing_policy ?? baseConfig.routingPolicy,
      synthesizerPrompt: scenario.config.synthesizer_prompt ?? baseConfig.synthesizerPrompt,
      runbookIndexAsOf: scenario.world.runbooks.index_as_of,
    },
    services,
    store,
  );
  try {
    // A session named after the scenario: the trace list shows which replay a trace came from.
    const { trace_id: traceId, answer } = await api.ask({
      question: scenario.request.question,
      analyst: scenario.request.analyst,
      sessionId: `scenario:${scenario.id}`,
    });
    await flushTelemetry();
    const exporters = Object.values(services.started);
    const governance = governanceFor(api.config);
    let { spans, diagnosis } = await completeTrace(store, traceId, exporters, governance);

    if (scenario.feedback) {
      const root = spans.find((span) => span.oiKind === "AGENT");
      const answeredAt = root ? Number(root.endNs / 1_000_000n) : Date.now();
      await recordFeedback(
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
    await api.close();
    // Back to the healthy world: the services may go on serving (npm start), and the next question is not part of the scenario.
    await applyWorld(services, {});
  }
}

/** Each mock service takes its own section of the world; loading it also resets the service's state. */
async function applyWorld(services: RunningServices, world: Scenario["rawWorld"]) {
  for (const [section, baseUrl] of Object.entries(worldServices(services)))
    await putWorld(baseUrl, "/admin/world", world[section]);
}
