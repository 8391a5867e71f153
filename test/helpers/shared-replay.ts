import Database from "better-sqlite3";
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { inject } from "vitest";
import { runCli, tempStore } from "./processes.ts";

/** One line of `replay --json`. */
export interface ReplayOutput {
  scenario: string;
  traceId: string;
  answer: { summary: string; claims: { kind: string }[] };
  diagnosis: { verdict: string; firstBadStage: string; findings: Record<string, unknown>[] };
  expectations: { passed: boolean; failures: string[] };
}

export interface ReplayedStores {
  /** This test file's own copy of the trace store; the restricted tier and keys sit beside it. */
  traceStore: string;
  traceIds: Record<string, string>;
  results: ReplayOutput[];
  /** The replay's exit code and stderr. */
  code: number;
  stderr: string;
}

/** The tokens the shared replay runs with: the runner must work when API_TOKENS is set. */
export const SHARED_REPLAY_TOKENS = "analyst:analyst-token-1,ingest:ingest-token-1";

export const parseReplayLines = (stdout: string): ReplayOutput[] =>
  stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as ReplayOutput);

/**
 * Every built-in scenario replayed once per test run, for the test files that read replayed traces:
 * the first file to ask runs `replay --all`, the others wait for it (`sharedReplayDir` comes from
 * test/global-setup.ts). Each caller gets its own copy of the stores, so no file sees another's writes.
 */
export async function replayedStores(): Promise<ReplayedStores> {
  const shared = join(inject("sharedReplayDir"), "replay");
  const done = join(shared, "done.json");
  let leader = false;
  try {
    mkdirSync(shared);
    leader = true;
  } catch {
    // Another test file is replaying: wait for it below.
  }
  if (leader) {
    const run = await runCli(["replay", "--all", "--json"], {
      TRACE_STORE: join(shared, "stores", "traces.db"),
      API_TOKENS: SHARED_REPLAY_TOKENS,
    });
    writeFileSync(done, JSON.stringify({ code: run.code, stdout: run.stdout, stderr: run.stderr }));
  }
  while (!existsSync(done)) await sleep(100);
  const { code, stdout, stderr } = JSON.parse(readFileSync(done, "utf8")) as {
    code: number;
    stdout: string;
    stderr: string;
  };
  const results = parseReplayLines(stdout);
  if (results.length === 0) throw new Error(`replay --all printed no results (exit ${code}):\n${stderr}`);
  const { dir, traceStore } = tempStore();
  cpSync(join(shared, "stores"), dir, { recursive: true });
  return {
    traceStore,
    traceIds: Object.fromEntries(results.map((result) => [result.scenario, result.traceId])),
    results,
    code,
    stderr,
  };
}

/** Cuts a copy of the shared stores down to the traces of `scenarios`, for tests that list everything. */
export function keepOnly(replayed: ReplayedStores, scenarios: readonly string[]): Record<string, string> {
  const kept = Object.fromEntries(
    scenarios.map((scenario) => [scenario, replayed.traceIds[scenario] as string]),
  );
  const db = new Database(replayed.traceStore);
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%trace_id TEXT%'")
      .pluck()
      .all() as string[];
    const list = JSON.stringify(Object.values(kept));
    for (const table of tables)
      db.prepare(`DELETE FROM ${table} WHERE trace_id NOT IN (SELECT value FROM json_each(?))`).run(list);
  } finally {
    db.close();
  }
  return kept;
}
