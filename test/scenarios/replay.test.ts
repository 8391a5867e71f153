import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempStore } from "../helpers/processes.ts";
import { parseReplayLines, replayedStores, type ReplayOutput } from "../helpers/shared-replay.ts";

describe("replay", () => {
  it("replays every built-in scenario green, one JSON object per line, also with API_TOKENS set", async () => {
    // The shared replay runs with API_TOKENS set: the runner's own server takes a token of the
    // runner's, so configured tokens do not lock it out.
    const { results, code } = await replayedStores();
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
    expect(code).toBe(0);
  });

  it("gives the same findings on every replay of a scenario", async () => {
    const { traceStore } = tempStore();
    const [run, shared] = await Promise.all([
      runCli(["replay", "elena", "--json"], { TRACE_STORE: traceStore }),
      replayedStores(),
    ]);
    const first = shared.results.find((result) => result.scenario === "elena")!;
    const second = parseReplayLines(run.stdout)[0]!;
    expect(first.traceId).not.toBe(second.traceId);
    // Span ids and the as-of times quoted in explanations differ from run to run; the findings do not.
    const comparable = (result: ReplayOutput) =>
      result.diagnosis.findings.map(({ spanId: _spanId, explanation: _explanation, ...finding }) => finding);
    expect(comparable(first)).toEqual(comparable(second));
    expect(first.diagnosis.findings.length).toBeGreaterThanOrEqual(5);
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

  it("replays the learner's own scenario of docs/SCENARIOS.md, with its minimal device record", async () => {
    const guide = readFileSync(new URL("../../docs/SCENARIOS.md", import.meta.url), "utf8");
    const example = guide.split("## Write your own")[1]?.match(/```yaml\n([\s\S]*?)```/)?.[1];
    expect(example).toContain("{ asset: LT-9001, owner: E-20001, encrypted: false }");
    const { dir, traceStore } = tempStore();
    const file = join(dir, "my-laptop.yaml");
    writeFileSync(file, example as string);
    const run = await runCli(["replay", file], { TRACE_STORE: traceStore });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("Replaying my-laptop (1/1)...");
    expect(run.stdout).toMatch(/claim\s+device_not_encrypted: LT-9001 was not encrypted/);
    expect(run.stdout).toContain("Verdict: supported");
    expect(run.stdout).toContain("Expectations held.");
    // Human mode keeps the logs quiet and stdout free of them.
    expect(run.stdout).not.toContain('"level"');
  });

  it("exits 1 when an expectation fails", async () => {
    const { dir, traceStore } = tempStore();
    const file = join(dir, "wrong.yaml");
    writeFileSync(
      file,
      'id: wrong-expectation\ntitle: expects a healthy run to be unsupported\nrequest: {question: "Laptop LT-4821 was stolen. Is it encrypted?"}\nexpect: {verdict: unsupported}\n',
    );
    const run = await runCli(["replay", file, "--json"], { TRACE_STORE: traceStore });
    expect(run.code).toBe(1);
    expect(parseReplayLines(run.stdout)[0]!.expectations).toEqual({
      passed: false,
      failures: ["verdict: expected unsupported, got supported"],
    });
  });
});
