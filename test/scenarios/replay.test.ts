import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempStore } from "../helpers/processes.ts";

interface ReplayOutput {
  scenario: string;
  traceId: string;
  diagnosis: { findings: Record<string, unknown>[] };
  expectations: { passed: boolean; failures: string[] };
}

const parseLines = (stdout: string) =>
  stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as ReplayOutput);

describe("replay", () => {
  it(
    "replays every built-in scenario green, one JSON object per line, also with API_TOKENS set",
    { timeout: 180_000 },
    async () => {
      const { traceStore } = tempStore();
      // The runner's own server takes a token of the runner's: configured tokens do not lock it out.
      const run = await runCli(["replay", "--all", "--json"], {
        TRACE_STORE: traceStore,
        API_TOKENS: "analyst:analyst-token-1,ingest:ingest-token-1",
      });
      const results = parseLines(run.stdout);
      expect(results.map((result) => result.scenario)).toEqual([
        "cheap-route",
        "elena",
        "flaky-revoke",
        "healthy",
        "mdm-timeout",
        "partial-record",
        "revoke-403",
        "stale-runbook",
        "stale-snapshot",
      ]);
      for (const result of results)
        expect(result.expectations, result.scenario).toEqual({ passed: true, failures: [] });
      expect(run.code).toBe(0);
    },
  );

  it("gives the same findings on every replay of a scenario", { timeout: 60_000 }, async () => {
    const { traceStore } = tempStore();
    const runs = await Promise.all(
      [1, 2].map(() => runCli(["replay", "elena", "--json"], { TRACE_STORE: traceStore })),
    );
    const [first, second] = runs.map((run) => parseLines(run.stdout)[0]!);
    expect(first!.traceId).not.toBe(second!.traceId);
    // Span ids and the as-of times quoted in explanations differ from run to run; the findings do not.
    const comparable = (result: ReplayOutput) =>
      result.diagnosis.findings.map(({ spanId: _spanId, explanation: _explanation, ...finding }) => finding);
    expect(comparable(first!)).toEqual(comparable(second!));
    expect(first!.diagnosis.findings.length).toBeGreaterThanOrEqual(5);
  });

  it("rejects a bad scenario file with exit 2, the file and the field", async () => {
    const { dir, traceStore } = tempStore();
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "id: bad-one\ntitle: x\nrequest:\n  question: 42\n");
    const run = await runCli(["replay", file, "--json"], { TRACE_STORE: traceStore });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file}: request.question:`);
    expect(run.stdout).toBe("");

    writeFileSync(file, "id: bad-one\ntitle: x\nrequest: {question: hi}\nworld: {mdm: {sync_lag: soon}}\n");
    const lag = await runCli(["replay", file], { TRACE_STORE: traceStore });
    expect(lag.code).toBe(2);
    expect(lag.stderr).toContain("world.mdm.sync_lag: expected a duration such as 30s, 5m or 26h");
  });

  it("exits 1 when an expectation fails", { timeout: 60_000 }, async () => {
    const { dir, traceStore } = tempStore();
    const file = join(dir, "wrong.yaml");
    writeFileSync(
      file,
      'id: wrong-expectation\ntitle: expects a healthy run to be unsupported\nrequest: {question: "Laptop LT-4821 was stolen. Is it encrypted?"}\nexpect: {verdict: unsupported}\n',
    );
    const run = await runCli(["replay", file, "--json"], { TRACE_STORE: traceStore });
    expect(run.code).toBe(1);
    expect(parseLines(run.stdout)[0]!.expectations).toEqual({
      passed: false,
      failures: ["verdict: expected unsupported, got supported"],
    });
  });
});
