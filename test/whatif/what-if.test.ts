import { cpSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTraceStore, type TraceStore } from "../../src/store/trace-store.ts";
import { NODE_ARGS, runCli, startCli, stop, tempStore, type CliRun } from "../helpers/processes.ts";
import { CHROMIUM, hasChromium, launchChromium } from "../viewer/fixture.ts";
import { replayedStores, type ReplayOutput } from "../helpers/shared-replay.ts";

interface WhatIfOutput {
  original: string;
  replay: string;
  change: string;
  answer: {
    summary: string;
    claims: { kind: string; statement: string; evidence: string[] }[];
    citations: string[];
  };
  diagnosis: { verdict: string; firstBadStage: string; findings: { kind: string }[] };
  diff: Record<
    "claims_added" | "claims_removed" | "caveats_added" | "findings_added" | "findings_removed",
    string[]
  >;
  fixed: boolean;
}

let elena: ReplayOutput;
let traceStore: string;
let none: WhatIfOutput;
let all: { original: string; results: WhatIfOutput[] };
let store: TraceStore;

/** elena, replayed with no change and with every applicable change, from its recording in the shared store. */
beforeAll(async () => {
  const replayed = await replayedStores();
  traceStore = replayed.traceStore;
  elena = replayed.results.find((result) => result.scenario === "elena")!;
  const whatIf = (change: string) =>
    runCli(["trace", "replay", elena.traceId, "--what-if", change, "--json"], { TRACE_STORE: traceStore });
  const [noneRun, allRun] = await Promise.all([whatIf("none"), whatIf("all")]);
  const parse = (run: CliRun) => {
    if (run.code !== 0) throw new Error(`trace replay exited ${run.code}:\n${run.stderr}`);
    return JSON.parse(run.stdout) as unknown;
  };
  none = parse(noneRun) as WhatIfOutput;
  all = parse(allRun) as typeof all;
  store = await openTraceStore(traceStore);
}, 120_000);

afterAll(async () => await store?.close());

describe("what-if replay", () => {
  it("reproduces the recorded answer when nothing changes, citing the replay's own tool calls", async () => {
    expect(none.change).toBe("none");
    expect(none.replay).not.toBe(elena.traceId);
    const recorded = elena.answer as WhatIfOutput["answer"];
    expect(none.answer.summary).toBe(recorded.summary);
    expect(none.answer.claims.map(({ kind, statement }) => [kind, statement])).toEqual(
      recorded.claims.map(({ kind, statement }) => [kind, statement]),
    );
    const replayCalls = new Set(
      (await store.spansOf(none.replay))
        .map((span) => span.attributes["tool.id"])
        .filter((id): id is string => typeof id === "string")
        .map((id) => `tool:${id}`),
    );
    for (const claim of none.answer.claims)
      for (const evidence of claim.evidence) expect(replayCalls).toContain(evidence);
    expect(none.diagnosis.findings.map((finding) => finding.kind)).toEqual(
      elena.diagnosis.findings.map((finding) => finding.kind),
    );
    expect(none.diff).toEqual({
      claims_added: [],
      claims_removed: [],
      caveats_added: [],
      findings_added: [],
      findings_removed: [],
    });
    expect(none.fixed).toBe(false);
  });

  it("proves from the trace alone that the v2 prompt would have made elena's answer honest", async () => {
    expect(all.original).toBe(elena.traceId);
    const [first] = all.results;
    expect(first).toMatchObject({ change: "prompt=v2", fixed: true, diagnosis: { verdict: "supported" } });
    expect(first!.diff.claims_removed).toContain("sessions_revoked");
    expect(first!.diff.caveats_added).toEqual(expect.arrayContaining(["stale_data", "tool_failed"]));
    // Fixing changes first.
    expect(all.results.slice(1).every((result) => !result.fixed)).toBe(true);
  });

  it("shows that restoring the scope makes the revocation true but leaves the encryption claim on stale data", async () => {
    const restored = all.results.find((result) => result.change === "restore-scope")!;
    expect(restored.fixed).toBe(false);
    expect(restored.diff.findings_removed).toEqual(
      expect.arrayContaining(["tool_error:revoke_sessions", "claim_contradicts_tool:revoke_sessions"]),
    );
    expect(restored.diagnosis.findings.map((finding) => finding.kind)).toContain("claim_on_stale_evidence");
    const fresh = all.results.find((result) => result.change === "fresh-data")!;
    expect(fresh.diff.findings_removed).toContain("stale_tool_data:mdm_lookup_device");
    expect(fresh.diagnosis.findings.map((finding) => finding.kind)).toContain("claim_contradicts_tool");
    const fast = all.results.find((result) => result.change === "route=fast")!;
    expect(fast.diff.findings_added).toContain("route_downgrade");
    expect(all.results.map((result) => result.change).sort()).toEqual(
      ["fresh-data", "prompt=v2", "restore-scope", "route=fast", "tool-ok=revoke_sessions"].sort(),
    );
  });

  it("makes each replay a new trace, linked to the original and diagnosed", async () => {
    for (const result of [none, ...all.results]) {
      const spans = await store.spansOf(result.replay);
      const link = spans.find((span) => span.name === "what_if_replay");
      expect(link?.attributes).toMatchObject({
        "replay.of_trace_id": elena.traceId,
        "replay.change": result.change,
      });
      expect(link?.links.map((linked) => linked.traceId)).toEqual([elena.traceId]);
      expect(await store.summarizedSpanCount(result.replay)).toBe(spans.length);
    }
  });

  it("refuses with exit 2 a trace whose payloads were not kept, an unknown change or trace", async () => {
    const run = (args: string[], env: Record<string, string> = {}) =>
      runCli(["trace", "replay", ...args], { TRACE_STORE: traceStore, ...env });
    const [sampledOut, badChange, unknown] = await Promise.all([
      // A restricted tier that holds nothing for this trace: as if it had been sampled out.
      run([elena.traceId, "--what-if", "none"], {
        RESTRICTED_STORE: join(traceStore, "..", "empty-restricted.db"),
      }),
      run([elena.traceId, "--what-if", "prompt=v3"]),
      run(["0123456789abcdef0123456789abcdef", "--what-if", "none"]),
    ]);
    expect(sampledOut.stderr).toContain("were not kept in the restricted tier");
    expect(badChange.stderr).toContain('unknown change "prompt=v3"');
    expect(unknown.stderr).toContain("no trace 0123456789abcdef0123456789abcdef");
    for (const bad of [sampledOut, badChange, unknown]) {
      expect(bad.code).toBe(2);
      expect(bad.stdout).toBe("");
    }
  });

  it.skipIf(!hasChromium)(
    `offers a reviewer the replays on the trace page (needs ${CHROMIUM})`,
    async () => {
      // A copy of the stores, served with tokens: an analyst and a reviewer.
      const { dir, traceStore: served } = tempStore();
      cpSync(join(traceStore, ".."), dir, { recursive: true });
      let server: ChildProcess | undefined;
      const chromium = await launchChromium();
      try {
        const started = await startCli(
          [process.execPath, ...NODE_ARGS, "serve"],
          { TRACE_STORE: served, PORT: "0", API_TOKENS: "analyst:analyst-token-1,reviewer:reviewer-token-1" },
          /listening on (\S+)/,
        );
        server = started.child;
        const trace = `${started.match[1]}/traces/${elena.traceId}`;
        const signIn = async (token: string) => {
          const page = await chromium.browser.newPage();
          await page.goto(trace);
          await page.getByLabel("API token").fill(token);
          await page.getByRole("button", { name: "Sign in" }).click();
          await page.waitForURL(trace);
          return page;
        };
        const analyst = await signIn("analyst-token-1");
        expect(await analyst.locator("#what-if").count()).toBe(0);
        await analyst.context().clearCookies();

        const reviewer = await signIn("reviewer-token-1");
        const buttons = reviewer.locator("#what-if button");
        expect(await buttons.allTextContents()).toEqual([
          "fresh-data",
          "restore-scope",
          "tool-ok=revoke_sessions",
          "route=fast",
          "prompt=v2",
        ]);
        await reviewer.getByRole("button", { name: "prompt=v2" }).click();
        await reviewer.waitForURL(`${trace}/what-if`);
        await expect
          .poll(async () => reviewer.locator(".lesson").textContent())
          .toContain("prompt=v2 fixes the answer");
        const columns = reviewer.locator(".two-columns .panel");
        expect(await columns.nth(0).textContent()).toContain("sessions_revoked");
        expect(await columns.nth(1).textContent()).toContain("sessions_not_revoked");
        await reviewer.getByRole("link", { name: "Open the replay's trace" }).click();
        await expect.poll(async () => reviewer.locator("h1").textContent()).toBeTruthy();
        expect(reviewer.url()).toMatch(/\/traces\/[0-9a-f]{32}$/);
      } finally {
        await chromium.close();
        await stop(server);
      }
    },
    60_000,
  );
});
