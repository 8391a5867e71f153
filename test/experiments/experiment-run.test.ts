import type { Server } from "node:http";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTraceStore, type TraceStore } from "../../src/store/trace-store.ts";
import { listTraces, NAMED_QUERIES, traceFiltersSchema } from "../../src/store/queries.ts";
import type { ExperimentReport } from "../../src/store/experiment-row.ts";
import { runCli, tempStore, type CliRun } from "../helpers/processes.ts";
import { serveViewer } from "../viewer/fixture.ts";

/** Enough for the optimistic arm's unsupported answers to show (3 of 10 at this seed). */
const TICKETS = 10;
const ARGS = [
  "experiment",
  "run",
  "--tickets",
  String(TICKETS),
  "--seed",
  "7",
  "--arms",
  "quality-first/v2,fast-only/v1",
  "--json",
];

let first: CliRun;
let report: ExperimentReport;
let again: ExperimentReport;
let fromFile: ExperimentReport;
let store: TraceStore;

/** The story twice in one ticket file: elena's world, then the same people in a healthy one. */
const TICKET_FILE = `
- id: elena
  request: {question: "Elena Ruiz (E-10442) reports laptop LT-4821 stolen at the airport. Is it encrypted, and are her sessions revoked?"}
  world: {mdm: {sync_lag: 26h}, sessions: {service_account_scopes: [sessions:read]}}
- id: elena-healthy
  request: {question: "Elena Ruiz (E-10442) reports laptop LT-4821 stolen at the airport. Is it encrypted, and are her sessions revoked?"}
`;
let viewer: { url: string; server: Server };

/** The same experiment twice, side by side in two stores: one with API_TOKENS set, which the runner must get past. */
beforeAll(async () => {
  const [one, two, three] = [tempStore(), tempStore(), tempStore()];
  const ticketFile = join(three.dir, "tickets.yaml");
  writeFileSync(ticketFile, TICKET_FILE);
  const [runOne, runTwo, runThree] = await Promise.all([
    runCli(ARGS, { TRACE_STORE: one.traceStore, API_TOKENS: "analyst:analyst-token-1" }),
    runCli(ARGS, { TRACE_STORE: two.traceStore }),
    runCli(
      [
        "experiment",
        "run",
        "--tickets-file",
        ticketFile,
        "--arms",
        "quality-first/v2,fast-only/v1",
        "--json",
      ],
      { TRACE_STORE: three.traceStore },
    ),
  ]);
  fromFile = JSON.parse(runThree.stdout) as ExperimentReport;
  first = runOne;
  report = JSON.parse(runOne.stdout) as ExperimentReport;
  again = JSON.parse(runTwo.stdout) as ExperimentReport;
  store = await openTraceStore(one.traceStore);
  viewer = await serveViewer(store);
}, 120_000);

afterAll(async () => {
  viewer?.server.close();
  await store?.close();
});

describe("experiment run", () => {
  it("prints the SPEC's one JSON object, with a progress bar on stderr", async () => {
    expect(first.code).toBe(0);
    expect(first.stdout.trim().split("\n")).toHaveLength(1);
    expect(first.stderr).toMatch(new RegExp(`${TICKETS} tickets × 2 arms .*${TICKETS}/${TICKETS}`));
    expect(Object.keys(report)).toEqual(["experiment", "seed", "tickets", "arms", "comparisons"]);
    expect(report).toMatchObject({ seed: 7, tickets: TICKETS });
    for (const arm of report.arms) {
      expect(arm).toEqual({
        arm: expect.any(String),
        routing_policy: expect.any(String),
        synthesizer_prompt: expect.any(String),
        traces: TICKETS,
        cost_usd_total: expect.any(Number),
        cost_usd_per_ticket: expect.any(Number),
        latency_p50_ms: expect.any(Number),
        latency_p95_ms: expect.any(Number),
        unsupported_rate: expect.any(Number),
        escalation_rate: expect.any(Number),
        correction_rate: expect.any(Number),
        ci95: {
          cost_usd_per_ticket: [expect.any(Number), expect.any(Number)],
          unsupported_rate: [expect.any(Number), expect.any(Number)],
          escalation_rate: [expect.any(Number), expect.any(Number)],
        },
      });
    }
    expect(report.comparisons).toEqual([
      {
        baseline: "quality-first/v2",
        arm: "fast-only/v1",
        cost_change_pct: expect.any(Number),
        unsupported_change_pp: expect.any(Number),
        escalation_change_pp: expect.any(Number),
        verdict: expect.stringMatching(/^(better|worse|inconclusive)$/),
      },
    ]);
  });

  it("finds the cheap, optimistic arm cheaper and less trustworthy", async () => {
    const [quality, fast] = report.arms;
    expect(quality).toMatchObject({
      routing_policy: "quality-first",
      synthesizer_prompt: "v2",
      unsupported_rate: 0,
    });
    expect(fast!.cost_usd_per_ticket).toBeLessThan(quality!.cost_usd_per_ticket / 3);
    expect(fast!.unsupported_rate).toBeGreaterThan(0);
    expect(fast!.escalation_rate).toBeGreaterThan(quality!.escalation_rate);
    expect(report.comparisons[0]!.cost_change_pct).toBeLessThan(-60);
  });

  it("gives the same report for the same seed (timings and ids aside)", async () => {
    const deterministic = (result: ExperimentReport) => ({
      tickets: result.tickets,
      arms: result.arms.map(({ arm, traces, unsupported_rate, escalation_rate, correction_rate, ci95 }) => ({
        arm,
        traces,
        unsupported_rate,
        escalation_rate,
        correction_rate,
        ci95: { unsupported_rate: ci95.unsupported_rate, escalation_rate: ci95.escalation_rate },
      })),
      verdicts: result.comparisons.map((comparison) => comparison.verdict),
    });
    expect(again.experiment).not.toBe(report.experiment);
    expect(deterministic(again)).toEqual(deterministic(report));
  });

  it("runs a ticket file in its worlds, one ticket at a time where they share people, and judges by the world", async () => {
    const [quality, fast] = fromFile.arms;
    expect(fromFile.tickets).toBe(2);
    // v2 on the strong model reports the 403 and the stale snapshot: nothing false, nothing missing.
    expect(quality).toMatchObject({ traces: 2, unsupported_rate: 0, escalation_rate: 0, correction_rate: 0 });
    // The optimistic arm claims elena's revocation and stale encryption (escalated); in the healthy world its
    // claims are true but it leaves out the device policy (corrected).
    expect(fast).toMatchObject({
      traces: 2,
      unsupported_rate: 0.5,
      escalation_rate: 0.5,
      correction_rate: 0.5,
    });
  });

  it("leaves a real trace per ticket and arm, tagged, diagnosed and with the analyst's feedback joined", async () => {
    for (const arm of report.arms) {
      const filters = traceFiltersSchema.parse({ experiment: report.experiment, arm: arm.arm, limit: 500 });
      const { traces } = await listTraces(store, filters);
      expect(traces).toHaveLength(TICKETS);
      expect(traces.every((trace) => trace.experiment_arm === arm.arm && trace.verdict !== null)).toBe(true);
      expect(traces.filter((trace) => trace.verdict === "unsupported").length / TICKETS).toBe(
        arm.unsupported_rate,
      );
      expect(traces.filter((trace) => trace.feedback_outcome === "escalated").length / TICKETS).toBe(
        arm.escalation_rate,
      );
      expect(traces.every((trace) => trace.feedback_outcome !== null)).toBe(true);
    }
    const root = await store.rootOf(
      (await listTraces(store, traceFiltersSchema.parse({ experiment: report.experiment }))).traces[0]!
        .trace_id,
    );
    expect(root?.attributes).toMatchObject({ "incident.experiment.id": report.experiment });
  });

  it("groups route-outcomes by arm when asked", async () => {
    const rows = await NAMED_QUERIES["route-outcomes"](store, {
      group_by: "arm",
      experiment: report.experiment,
    });
    expect(rows.map((row) => [row.experiment_arm, row.traces])).toEqual([
      ["fast-only/v1", TICKETS],
      ["quality-first/v2", TICKETS],
    ]);
    const fast = report.arms.find((arm) => arm.arm === "fast-only/v1")!;
    expect(rows[0]).toMatchObject({
      escalations: Math.round(fast.escalation_rate * TICKETS),
      unsupported: Math.round(fast.unsupported_rate * TICKETS),
    });
  });

  it("shows the run in the viewer, every number a link to the traces behind it", async () => {
    const list = await (await fetch(`${viewer.url}/experiments`)).text();
    expect(list).toContain(`href="/experiments/${report.experiment}"`);
    const page = await fetch(`${viewer.url}/experiments/${report.experiment}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const escalated = new URLSearchParams({
      experiment: report.experiment,
      arm: "fast-only/v1",
      feedback: "escalated",
      limit: "500",
    });
    expect(html.replaceAll("&amp;", "&")).toContain(`href="/?${escalated.toString()}"`);
    const behind = await (await fetch(`${viewer.url}/?${escalated.toString()}`)).text();
    const rows = behind.match(/<tr>\s*<td class="nowrap"><time/g) ?? [];
    expect(rows).toHaveLength(Math.round(report.arms[1]!.escalation_rate * TICKETS));
    expect((await fetch(`${viewer.url}/experiments/exp-unknown`)).status).toBe(404);

    // The saved question groups per arm too, each row a link to its traces.
    const perArm = await (await fetch(`${viewer.url}/queries/route-outcomes?group_by=arm`)).text();
    const armTraces = new URLSearchParams({ experiment: report.experiment, arm: "fast-only/v1" });
    expect(perArm.replaceAll("&amp;", "&")).toContain(`href="/?${armTraces.toString()}"`);
    expect((await fetch(`${viewer.url}/queries/route-outcomes?group_by=model`)).status).toBe(400);
  });

  it("refuses bad input with exit 2 before starting anything", async () => {
    const { dir, traceStore } = tempStore();
    const file = join(dir, "tickets.yaml");
    writeFileSync(file, "- request: {question: 42}\n");
    const run = (args: string[]) => runCli(args, { TRACE_STORE: traceStore });
    const [badArm, oneArm, zero, badFile, badTraceId] = await Promise.all([
      run(["experiment", "run", "--arms", "quality-first/v2,cost-saver/v9"]),
      run(["experiment", "run", "--arms", "quality-first/v2"]),
      run(["experiment", "run", "--tickets", "0"]),
      run(["experiment", "run", "--tickets-file", file]),
      // Commander's own argument errors are bad input too, in nested commands as well.
      run(["trace", "show", "not-a-trace-id"]),
    ]);
    expect(badArm.stderr).toContain('arm "cost-saver/v9": expected a prompt version');
    expect(oneArm.stderr).toContain("at least two arms");
    expect(zero.stderr).toContain("--tickets: expected a whole number");
    expect(badFile.stderr).toContain(`${file}: 0.request.question:`);
    expect(badTraceId.stderr).toContain("expected a 32-character lowercase hex trace id");
    for (const bad of [badArm, oneArm, zero, badFile, badTraceId]) {
      expect(bad.code).toBe(2);
      expect(bad.stdout).toBe("");
    }
  });
});
