import { randomBytes } from "node:crypto";
import type { Config } from "../shared/config.ts";
import { percentile, spanMs } from "../shared/measures.ts";
import type { RunningServices } from "../services/start-services.ts";
import type { TraceStore } from "../store/trace-store.ts";
import type { ArmReport, ExperimentReport } from "../store/experiment-row.ts";
import { completeTrace } from "../lifecycle/trace-completion.ts";
import { recordFeedback } from "../lifecycle/feedback.ts";
import { modelUsage, rootOf } from "../trace/request.ts";
import { governanceFor } from "../governance/runtime.ts";
import { flushTelemetry } from "../telemetry/handle.ts";
import { fetchUntraced, putWorld, startRunnerApi, type RunnerApi } from "../scenarios/runner-api.ts";
import { judge, type Truth } from "./analyst.ts";
import { SeededRandom } from "./random.ts";
import { Bootstrap, compare, METRICS, type TicketOutcome } from "./statistics.ts";
import type { Ticket } from "./tickets.ts";
import type { Arm } from "./arms.ts";
import { loadCorpus, versionInEffect } from "../agent/retriever.ts";
import { documentEvidenceId } from "../contracts/vocabulary.ts";

/** The policy every device ticket's answer must follow, in the version in effect. */
const DEVICE_POLICY = "device-policy";

export interface ExperimentPlan {
  tickets: Ticket[];
  arms: Arm[];
  seed: number;
  /** Tickets in flight at once (each runs its arms one after another, in its own world). */
  concurrency: number;
  onTicketDone?: (done: number, total: number) => void;
}

/** One ticket's answer in one arm, once diagnosed and judged. */
interface ArmResult extends TicketOutcome {
  traceId: string;
}

/**
 * Runs every ticket through every arm, each a real request through the real API, leaving a real trace
 * tagged with the experiment and arm (configuration, like EXPERIMENT_ID in a deployment: the assistant
 * does not know). A simulated analyst judges each answer against what really happened, later, as
 * feedback joined to the trace. Returns the report, also kept in the store for the viewer.
 */
export async function runExperiment(
  plan: ExperimentPlan,
  baseConfig: Config,
  services: RunningServices,
  store: TraceStore,
): Promise<ExperimentReport> {
  const experiment = `exp-${new Date().toISOString().slice(0, 10).replaceAll("-", "")}-${randomBytes(3).toString("hex")}`;
  const apis = new ArmApis(experiment, baseConfig, services, store);
  const devicePolicy = documentEvidenceId({
    id: DEVICE_POLICY,
    version: versionInEffect(loadCorpus(baseConfig.runbooksDir), DEVICE_POLICY) ?? 0,
  });
  const results = plan.arms.map(() => new Array<ArmResult>(plan.tickets.length));
  // Feedback delays drawn up front, in ticket order, so that concurrency cannot reorder the draws.
  const analystRandom = new SeededRandom(plan.seed ^ 0x5eed);
  const feedbackDelaysMs = plan.tickets.map(() => plan.arms.map(() => analystRandom.int(5, 90) * 60_000));
  let done = 0;
  try {
    await inParallel(plan.tickets, concurrencyFor(plan), async (ticket, index) => {
      try {
        for (const [armIndex, arm] of plan.arms.entries()) {
          const api = await apis.get(arm, ticket.world.runbooks.index_as_of);
          results[armIndex]![index] = await runTicket(ticket, api, services, store, {
            devicePolicy,
            feedbackDelayMs: feedbackDelaysMs[index]![armIndex]!,
          });
        }
      } finally {
        await clearTicketWorlds(ticket, services);
      }
      plan.onTicketDone?.(++done, plan.tickets.length);
    });
  } finally {
    await apis.closeAll();
  }

  // Its own random stream: resamples must not depend on how many draws the ticket generator made.
  const bootstrap = new Bootstrap(plan.tickets.length, plan.seed ^ 0xb007);
  const arms = plan.arms.map((arm, armIndex) => armReport(arm, results[armIndex]!, bootstrap));
  const [baseline, ...others] = plan.arms.map((arm, armIndex) => ({
    arm: arm.name,
    outcomes: results[armIndex]!,
  }));
  const report: ExperimentReport = {
    experiment,
    seed: plan.seed,
    tickets: plan.tickets.length,
    arms,
    comparisons: others.map((other) => compare(bootstrap, baseline!, other)),
  };
  await store.saveExperiment(report);
  return report;
}

/** Tickets about the same entity would share its world: run such a ticket list one at a time. */
function concurrencyFor(plan: ExperimentPlan): number {
  const entities = plan.tickets.flatMap((ticket) => [...ticket.employeeIds, ...ticket.assets]);
  return new Set(entities).size === entities.length ? plan.concurrency : 1;
}

/** One API per arm and runbook index: the index snapshot is the assistant's configuration, like the arm. */
class ArmApis {
  private readonly started = new Map<string, Promise<RunnerApi>>();

  constructor(
    private readonly experiment: string,
    private readonly baseConfig: Config,
    private readonly services: RunningServices,
    private readonly store: TraceStore,
  ) {}

  get(arm: Arm, runbookIndexAsOf: string): Promise<RunnerApi> {
    const key = `${arm.name} ${runbookIndexAsOf}`;
    let api = this.started.get(key);
    if (!api) {
      api = startRunnerApi(
        {
          ...this.baseConfig,
          routingPolicy: arm.routingPolicy,
          synthesizerPrompt: arm.synthesizerPrompt,
          runbookIndexAsOf,
          experimentId: this.experiment,
          experimentArm: arm.name,
        },
        this.services,
        this.store,
      );
      this.started.set(key, api);
    }
    return api;
  }

  /** Closes every API that started; one that failed to start has nothing to close (its error is the run's). */
  async closeAll() {
    await Promise.allSettled([...this.started.values()].map(async (api) => (await api).close()));
  }
}

/** Sets the ticket's world afresh (so each arm meets the same one), asks, diagnoses, and has the analyst judge. */
async function runTicket(
  ticket: Ticket,
  api: RunnerApi,
  services: RunningServices,
  store: TraceStore,
  analyst: { devicePolicy: string; feedbackDelayMs: number },
): Promise<ArmResult> {
  await setTicketWorlds(ticket, services);
  const { trace_id: traceId, answer } = await api.ask({
    question: ticket.question,
    analyst: ticket.analyst,
    sessionId: `experiment:${api.config.experimentId}:${ticket.id}`,
  });
  await flushTelemetry();
  const governance = governanceFor(api.config);
  const { spans, diagnosis } = await completeTrace(
    store,
    traceId,
    Object.values(services.started),
    governance,
  );
  // The summary completeTrace stored holds these too; the spans are at hand.
  const root = rootOf(spans);
  const truth = { ...(await readTruth(ticket, services)), devicePolicy: analyst.devicePolicy };
  const verdict = judge(ticket, answer, truth, {
    timeoutMs: api.config.toolTimeoutMs,
    maxRetries: api.config.toolMaxRetries,
  });
  const answeredAt = root ? Number(root.endNs / 1_000_000n) : Date.now();
  await recordFeedback(
    store,
    governance,
    { traceId, outcome: verdict.outcome, comment: verdict.comment },
    new Date(answeredAt + analyst.feedbackDelayMs),
  );
  return {
    traceId,
    costUsd: modelUsage(spans).costUsd,
    latencyMs: root ? spanMs(root) : 0,
    unsupported: diagnosis.verdict === "unsupported",
    escalated: verdict.outcome === "escalated",
    corrected: verdict.outcome === "corrected",
  };
}

/** The ticket's world, on its entities only: the MDM's for its devices, the sessions service's for its people. */
async function setTicketWorlds(ticket: Ticket, services: RunningServices) {
  await Promise.all([
    ...ticket.assets.map((asset) =>
      putWorld(services.urls.mdm, `/admin/worlds/${asset}`, ticket.rawWorld.mdm),
    ),
    ...ticket.employeeIds.map((employee) =>
      putWorld(services.urls.sessions, `/admin/worlds/${employee}`, ticket.rawWorld.sessions),
    ),
  ]);
}

async function clearTicketWorlds(ticket: Ticket, services: RunningServices) {
  await Promise.all([
    ...ticket.assets.map((asset) =>
      fetchUntraced(`${services.urls.mdm}/admin/worlds/${asset}`, { method: "DELETE" }),
    ),
    ...ticket.employeeIds.map((employee) =>
      fetchUntraced(`${services.urls.sessions}/admin/worlds/${employee}`, { method: "DELETE" }),
    ),
  ]);
}

/** What really was, after the answer: the device's record and the employee's open sessions. */
async function readTruth(ticket: Ticket, services: RunningServices): Promise<Omit<Truth, "devicePolicy">> {
  const [asset] = ticket.assets;
  const [employee] = ticket.employeeIds;
  const readJson = async <T>(url: string): Promise<T | undefined> => {
    const response = await fetchUntraced(url);
    return response.ok ? ((await response.json()) as T) : undefined;
  };
  const [device, sessions] = await Promise.all([
    asset ? readJson<Truth["device"]>(`${services.urls.mdm}/admin/devices/${asset}`) : undefined,
    employee
      ? readJson<{ active_count: number }>(`${services.urls.sessions}/admin/employees/${employee}/sessions`)
      : undefined,
  ]);
  return { device, activeSessions: sessions?.active_count };
}

function armReport(arm: Arm, outcomes: ArmResult[], bootstrap: Bootstrap): ArmReport {
  const latencies = outcomes.map((outcome) => outcome.latencyMs).sort((a, b) => a - b);
  const costTotal = outcomes.reduce((sum, outcome) => sum + outcome.costUsd, 0);
  return {
    arm: arm.name,
    routing_policy: arm.routingPolicy,
    synthesizer_prompt: arm.synthesizerPrompt,
    traces: outcomes.length,
    cost_usd_total: costTotal,
    cost_usd_per_ticket: METRICS.cost_usd_per_ticket(outcomes),
    latency_p50_ms: percentile(latencies, 50) ?? 0,
    latency_p95_ms: percentile(latencies, 95) ?? 0,
    unsupported_rate: METRICS.unsupported_rate(outcomes),
    escalation_rate: METRICS.escalation_rate(outcomes),
    correction_rate: METRICS.correction_rate(outcomes),
    ci95: {
      cost_usd_per_ticket: bootstrap.metricInterval(outcomes, "cost_usd_per_ticket"),
      unsupported_rate: bootstrap.metricInterval(outcomes, "unsupported_rate"),
      escalation_rate: bootstrap.metricInterval(outcomes, "escalation_rate"),
      correction_rate: bootstrap.metricInterval(outcomes, "correction_rate"),
    },
  };
}

/** Runs `work` over `items`, at most `limit` at a time; the first failure stops the rest and is thrown. */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
) {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < items.length && failure === undefined) {
      const index = next++;
      try {
        await work(items[index]!, index);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}
