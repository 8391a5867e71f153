/**
 * Two `serve` replicas on one PostgreSQL store (SPEC section 12): what goes in through one is read,
 * and diagnosed exactly once, through the other; a replica killed during ingest loses no span it
 * acknowledged; a replay on PostgreSQL finds what it finds on SQLite.
 */
import type { ChildProcess } from "node:child_process";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SpanRecord } from "../../src/store/trace-store.ts";
import { toOtlpJson } from "../../src/store/otlp.ts";
import { NODE_ARGS, runCli, startCli, stop, type CliRun } from "../helpers/processes.ts";
import { wrongStorySentBy } from "../helpers/trace-builder.ts";
import { newPostgresDatabase, postgresUrl } from "../helpers/stores.ts";
import { killDuringIngest } from "../helpers/kill-during-ingest.ts";
import { onServer } from "../../scripts/postgres-database.ts";
import { parseReplayLines, replayedStores } from "../helpers/shared-replay.ts";

let env: Record<string, string> = {};
const replicas: { a?: Replica; b?: Replica } = {};

interface Replica {
  child: ChildProcess;
  url: string;
}

async function startReplica(): Promise<Replica> {
  const { child, match } = await startCli(
    [process.execPath, ...NODE_ARGS, "serve"],
    env,
    /listening on (http:\/\/\S+)/,
  );
  return { child, url: match[1] as string };
}

const query = <Row extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<Row[]> =>
  onServer(env.TRACE_STORE as string, async (client) => (await client.query<Row>(sql, values)).rows);

const postSpans = (url: string, spans: readonly SpanRecord[]) =>
  fetch(`${url}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(toOtlpJson(spans)),
  });

/** `replay elena` on the replicas' store, run once for the tests that need it. */
let elenaReplay: Promise<CliRun> | undefined;
const replayElena = () => (elenaReplay ??= runCli(["replay", "elena", "--json"], env));

const summaryThrough = async (replica: Replica, traceId: string) => {
  const response = await fetch(`${replica.url}/v1/traces/${traceId}`);
  if (response.status !== 200) return undefined;
  return ((await response.json()) as { summary: { verdict: string | null } }).summary;
};

describe.skipIf(!postgresUrl)("two replicas on one PostgreSQL store", () => {
  beforeAll(async () => {
    const [traces, restricted] = await Promise.all([newPostgresDatabase(), newPostgresDatabase()]);
    env = {
      TRACE_STORE: traces,
      RESTRICTED_STORE: restricted,
      PSEUDONYMIZATION_KEY: "a1".repeat(32),
      RESTRICTED_STORE_KEY: "b2".repeat(32),
      PORT: "0",
      TRACE_SETTLE: "1s",
      // Every trace's raw payloads kept: the restricted tier is shared too.
      SAMPLE_HEALTHY_RATE: "1",
    };
    [replicas.a, replicas.b] = await Promise.all([startReplica(), startReplica()]);
  });
  afterAll(async () => {
    await Promise.all([stop(replicas.a?.child), stop(replicas.b?.child)]);
  });

  it("reads an answer given through replica A through replica B, diagnosed once, by A", async () => {
    const { a, b } = replicas as Required<typeof replicas>;
    const asked = await fetch(`${a.url}/v1/incidents/ask`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ question: "Laptop LT-4821 was stolen from a car. Is it encrypted?" }),
    });
    expect(asked.status).toBe(200);
    const { trace_id: traceId } = (await asked.json()) as { trace_id: string };

    await expect
      .poll(async () => (await summaryThrough(b, traceId))?.verdict, { timeout: 60_000 })
      .toBeTruthy();
    const claims = await query<{ owner: string }>("SELECT owner FROM trace_claims WHERE trace_id = $1", [
      traceId,
    ]);
    expect(claims).toHaveLength(1);
    expect(claims[0]?.owner).toContain(`:${a.child.pid}:`);
    const verdicts = await query("SELECT 1 FROM annotations WHERE trace_id = $1 AND name = 'verdict'", [
      traceId,
    ]);
    expect(verdicts).toHaveLength(1);
  });

  it("shows spans posted over OTLP to replica B in replica A's viewer, diagnosed again as more arrive", async () => {
    const { a, b } = replicas as Required<typeof replicas>;
    const traceId = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b";
    const spans = wrongStorySentBy(traceId);
    // Half through each replica, the second once the first was diagnosed on its own: still one trace.
    expect((await postSpans(b.url, spans.slice(0, 3))).status).toBe(200);
    await expect
      .poll(async () => (await summaryThrough(b, traceId))?.verdict, { timeout: 60_000 })
      .toBe("supported");
    expect((await postSpans(a.url, spans.slice(3))).status).toBe(200);

    await expect
      .poll(async () => (await summaryThrough(a, traceId))?.verdict, { timeout: 60_000 })
      .toBe("unsupported");
    const page = await fetch(`${a.url}/traces/${traceId}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("revoke_sessions");
    expect(html).toContain("claim_contradicts_tool");
    expect(await query("SELECT owner FROM trace_claims WHERE trace_id = $1", [traceId])).toHaveLength(1);
  });

  it("keeps every span a replica acknowledged when it is killed during ingest", async () => {
    const { b } = replicas as Required<typeof replicas>;
    const loadId = "10ad10ad10ad10ad10ad10ad10ad10ad";
    const acknowledged = await killDuringIngest(b.child, loadId, (spans) => postSpans(b.url, spans));

    const stored = new Set(
      (await query<{ span_id: string }>("SELECT span_id FROM spans WHERE trace_id = $1", [loadId])).map(
        (row) => row.span_id,
      ),
    );
    expect(acknowledged.length).toBeGreaterThanOrEqual(2_500);
    expect(acknowledged.filter((spanId) => !stored.has(spanId))).toEqual([]);
    replicas.b = await startReplica();
  });

  it("replays elena on PostgreSQL with the findings it has on SQLite", async () => {
    const run = await replayElena();
    expect(run.code, run.stderr).toBe(0);
    const [onPostgres] = parseReplayLines(run.stdout);
    const onSqlite = (await replayedStores()).results.find((result) => result.scenario === "elena");
    expect(onPostgres?.expectations.passed).toBe(true);
    expect(onPostgres?.diagnosis.verdict).toBe("unsupported");
    // Span ids differ from run to run; what was found, and where, does not.
    const found = (findings: Record<string, unknown>[] = []) =>
      findings.map(({ kind, stage, tool, claim }) => ({ kind, stage, tool, claim }));
    expect(found(onPostgres?.diagnosis.findings)).toEqual(found(onSqlite?.diagnosis.findings));
    expect(found(onPostgres?.diagnosis.findings).length).toBeGreaterThan(0);
  });

  it("runs what-if replays and experiments on PostgreSQL", async () => {
    const [elena] = parseReplayLines((await replayElena()).stdout);
    const [whatIf, experiment] = await Promise.all([
      runCli(["trace", "replay", elena?.traceId ?? "", "--what-if", "prompt=v2", "--json"], env),
      runCli(
        [
          "experiment",
          "run",
          "--tickets",
          "4",
          "--seed",
          "3",
          "--arms",
          "quality-first/v2,fast-only/v1",
          "--json",
        ],
        env,
      ),
    ]);
    expect(whatIf.code, whatIf.stderr).toBe(0);
    expect(JSON.parse(whatIf.stdout)).toMatchObject({ original: elena?.traceId, fixed: true });
    expect(experiment.code, experiment.stderr).toBe(0);
    const report = JSON.parse(experiment.stdout) as { experiment: string; arms: { traces: number }[] };
    expect(report.arms.map((arm) => arm.traces)).toEqual([4, 4]);
    const stored = await query<{ id: string }>("SELECT id FROM experiments");
    expect(stored.map((row) => row.id)).toContain(report.experiment);
  });
});
