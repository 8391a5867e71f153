import { onServer } from "../../scripts/postgres-database.ts";
import { afterEach, describe, expect, it } from "vitest";
import { openTraceStore, type AnnotationRecord, type TraceStore } from "../../src/store/trace-store.ts";
import { listTraces, NAMED_QUERIES, traceFiltersSchema } from "../../src/store/queries.ts";
import { recordDiagnosis } from "../../src/lifecycle/trace-completion.ts";
import { summarize } from "../../src/lifecycle/trace-summary.ts";
import { diagnose } from "../../src/diagnosis/index.ts";
import { enforceRetention } from "../../src/lifecycle/retention.ts";
import { healthyTrace, wrongStorySentBy, asSentBy } from "../helpers/trace-builder.ts";
import { newStoreLocation, STORE_ENGINES } from "../helpers/stores.ts";
import { SqliteTraceStore } from "../../src/store/sqlite-store.ts";
import { MIGRATIONS } from "../../src/store/migrations.ts";
import { percentile } from "../../src/shared/measures.ts";

const WRONG = "0123456789abcdef0123456789abcdef";
const HEALTHY = "fedcba9876543210fedcba9876543210";
const LEASE_MS = 30_000;
const HUMAN_NOTE = {
  spanId: null,
  name: "analyst_note",
  annotatorKind: "HUMAN",
  label: "checked",
  score: null,
  explanation: null,
  identifier: "",
  metadata: {},
  createdAt: "2026-12-02T10:00:00Z",
} as const;

const opened: TraceStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

async function emptyStore(engine: (typeof STORE_ENGINES)[number]): Promise<TraceStore> {
  const store = await openTraceStore(await newStoreLocation(engine));
  opened.push(store);
  return store;
}

/** Two diagnosed traces: the wrong story (unsupported, a failed tool claimed done) and a healthy one. */
async function twoDiagnosedTraces(store: TraceStore) {
  const wrong = wrongStorySentBy(WRONG);
  const healthy = asSentBy(healthyTrace().build(), HEALTHY, "incident-assistant");
  await store.addSpans([...wrong, ...healthy]);
  await recordDiagnosis(store, WRONG, wrong);
  await recordDiagnosis(store, HEALTHY, healthy);
  return { wrong, healthy };
}

describe.each(STORE_ENGINES)("the %s trace store", (engine) => {
  it("keeps spans append-only, in time order, and finds a trace's root", async () => {
    const store = await emptyStore(engine);
    const spans = wrongStorySentBy(WRONG);
    expect(await store.addSpans(spans)).toBe(spans.length);
    // Evidence is never rewritten: a span whose ids are stored already is refused, not replaced.
    expect(await store.addSpans([{ ...spans[1]!, name: "forged" }])).toBe(0);
    const stored = await store.spansOf(WRONG);
    expect(stored).toEqual(
      [...spans].sort((a, b) => Number(a.startNs - b.startNs) || a.spanId.localeCompare(b.spanId)),
    );
    expect(stored.every((span) => typeof span.startNs === "bigint")).toBe(true);
    expect((await store.rootOf(WRONG))?.parentSpanId).toBeNull();
    expect(await store.hasTrace(WRONG)).toBe(true);
    expect(await store.hasTrace(HEALTHY)).toBe(false);
    expect(await store.undiagnosedTraceIds()).toEqual([WRONG]);
  });

  it("records a diagnosis as annotations and a summary that lists, filters and pages", async () => {
    const store = await emptyStore(engine);
    await twoDiagnosedTraces(store);
    expect(await store.undiagnosedTraceIds()).toEqual([]);
    expect((await store.annotationsOf(WRONG)).map(({ name, label }) => [name, label])).toEqual([
      ["tool_error", "revoke_sessions"],
      ["claim_contradicts_tool", "sessions_revoked"],
      ["verdict", "unsupported"],
    ]);

    const all = await listTraces(store, traceFiltersSchema.parse({}));
    expect(all.traces.map((trace) => trace.trace_id).sort()).toEqual([HEALTHY, WRONG].sort());
    const unsupported = await listTraces(store, traceFiltersSchema.parse({ verdict: "unsupported" }));
    expect(unsupported.traces).toMatchObject([
      { trace_id: WRONG, verdict: "unsupported", first_finding: "tool_error", finding_count: 2 },
    ]);
    expect(typeof unsupported.traces[0]?.tokens).toBe("number");
    const byFinding = await listTraces(
      store,
      traceFiltersSchema.parse({ finding: "claim_contradicts_tool" }),
    );
    expect(byFinding.traces.map((trace) => trace.trace_id)).toEqual([WRONG]);

    const first = await listTraces(store, traceFiltersSchema.parse({ limit: "1" }));
    expect(first.next_cursor).not.toBeNull();
    const second = await listTraces(
      store,
      traceFiltersSchema.parse({ limit: "1", cursor: first.next_cursor ?? undefined }),
    );
    expect([...first.traces, ...second.traces].map((trace) => trace.trace_id).sort()).toEqual(
      [HEALTHY, WRONG].sort(),
    );
    expect(second.next_cursor).toBeNull();
  });

  it("answers the named queries with the same rows", async () => {
    const store = await emptyStore(engine);
    await twoDiagnosedTraces(store);
    for (const limit of [undefined, 10]) {
      const claimed = await NAMED_QUERIES["tool-failed-answer-claimed-success"](store, { limit });
      expect(claimed).toMatchObject([
        { trace_id: WRONG, tool: "revoke_sessions", claim: "sessions_revoked" },
      ]);
    }
    const outcomes = await NAMED_QUERIES["route-outcomes"](store);
    expect(outcomes.reduce((sum, row) => sum + row.traces, 0)).toBe(2);
    expect(outcomes.reduce((sum, row) => sum + row.unsupported, 0)).toBe(1);
    for (const row of outcomes) {
      expect(typeof row.traces).toBe("number");
      // Each engine ranks the durations its own way; both give the nearest-rank percentile.
      const durations = await store.selectValues<number>(
        "SELECT duration_ms FROM trace_summaries WHERE route IS NOT DISTINCT FROM @route ORDER BY duration_ms",
        { route: row.route },
      );
      expect(row.p50_ms).toBe(percentile(durations, 50));
      expect(row.p95_ms).toBe(percentile(durations, 95));
      expect(row.p95_ms).toBeGreaterThan(0);
    }
  });

  it("writes a summary and its diagnosis's annotations in one transaction, or neither", async () => {
    const store = await emptyStore(engine);
    const spans = wrongStorySentBy(WRONG);
    await store.addSpans(spans);
    await store.upsertAnnotation({ ...HUMAN_NOTE, traceId: WRONG });
    const summary = summarize(WRONG, spans, diagnose(spans), null);
    if (!summary) throw new Error("the wrong story has a root: it has a summary");
    const verdict = (label: string): AnnotationRecord => ({
      ...HUMAN_NOTE,
      traceId: WRONG,
      name: "verdict",
      annotatorKind: "CODE",
      label,
    });
    const labels = async () => (await store.annotationsOf(WRONG)).map((annotation) => annotation.label);

    // An annotation the store refuses (it has no name) takes the summary down with it.
    const unnamed = { ...verdict("unsupported"), name: null } as unknown as AnnotationRecord;
    await expect(store.upsertSummary(summary, [unnamed])).rejects.toThrow();
    expect(await store.summarizedSpanCount(WRONG)).toBeUndefined();
    expect(await labels()).toEqual(["checked"]);

    expect(await store.upsertSummary(summary, [verdict("unsupported")])).toBe(true);
    expect(await labels()).toEqual(["checked", "unsupported"]);
    // A summary of fewer spans than the stored one writes neither.
    const fewer = { ...summary, spanCount: summary.spanCount - 1 };
    expect(await store.upsertSummary(fewer, [verdict("supported")])).toBe(false);
    expect(await labels()).toEqual(["checked", "unsupported"]);
    expect(await store.summarizedSpanCount(WRONG)).toBe(spans.length);
  });

  it("keeps feedback, and a sampling decision across a new summary; a kept trace stays kept", async () => {
    const store = await emptyStore(engine);
    const { wrong } = await twoDiagnosedTraces(store);
    await store.addFeedback({
      traceId: WRONG,
      outcome: "escalated",
      comment: null,
      receivedAt: "2026-12-02T10:00:00Z",
    });
    await store.setFeedbackOutcome(WRONG, "escalated");
    await store.setSampling(WRONG, "kept", "escalated");
    await recordDiagnosis(store, WRONG, wrong);
    expect(await store.feedbackOf(WRONG)).toEqual([
      { traceId: WRONG, outcome: "escalated", comment: null, receivedAt: "2026-12-02T10:00:00Z" },
    ]);
    const rows = await store.select<{ feedback_outcome: string; sampling_decision: string }>(
      "SELECT feedback_outcome, sampling_decision FROM trace_summaries WHERE trace_id = @traceId",
      { traceId: WRONG },
    );
    expect(rows).toEqual([{ feedback_outcome: "escalated", sampling_decision: "kept" }]);
    const decision = async (traceId: string) =>
      (
        await store.select<{ sampling_decision: string; sampling_reason: string }>(
          "SELECT sampling_decision, sampling_reason FROM trace_summaries WHERE trace_id = @traceId",
          { traceId },
        )
      )[0];
    await store.setSampling(WRONG, "dropped", "not_sampled");
    expect(await decision(WRONG)).toEqual({ sampling_decision: "kept", sampling_reason: "escalated" });
    await store.setSampling(HEALTHY, "dropped", "not_sampled");
    await store.setSampling(HEALTHY, "kept", "sampled");
    expect(await decision(HEALTHY)).toEqual({ sampling_decision: "kept", sampling_reason: "sampled" });
  });

  it("lets one process at a time claim a trace, and another once the claim ran out", async () => {
    const store = await emptyStore(engine);
    const spans = wrongStorySentBy(WRONG);
    await store.addSpans(spans);
    const now = 1_000_000;
    const claim = (owner: string, at: number, answering = false) =>
      store.claimTrace(WRONG, { owner, leaseMs: LEASE_MS, spanCount: spans.length, now: at, answering });
    expect(await claim("replica-a", now)).toBe(true);
    expect(await claim("replica-b", now + 1)).toBe(false);
    // Its owner may take it again (a replay diagnoses after feedback).
    expect(await claim("replica-a", now + 2)).toBe(true);
    expect(await store.abandonedTraceIds(now + 10)).toEqual([]);
    // Replica A died holding it: after the lease, B finds it and may take it.
    const later = now + 2 + LEASE_MS + 1;
    expect(await store.abandonedTraceIds(later)).toEqual([WRONG]);
    expect(await claim("replica-b", later)).toBe(true);
    await recordDiagnosis(store, WRONG, spans);
    // Summarized: no one else claims it, however late.
    expect(await claim("replica-c", later + 10 * LEASE_MS)).toBe(false);
    expect(await store.abandonedTraceIds(later + 10 * LEASE_MS)).toEqual([]);
    // A new diagnosis leaves nothing of an earlier one's findings, and a person's annotation stays.
    await store.upsertAnnotation({ ...HUMAN_NOTE, traceId: WRONG });
    await recordDiagnosis(store, WRONG, asSentBy(healthyTrace().build(), WRONG, "incident-assistant"));
    expect((await store.annotationsOf(WRONG)).map(({ name, label }) => [name, label])).toEqual([
      ["analyst_note", "checked"],
      ["verdict", "supported"],
    ]);
    // Settled with the summary: the search for abandoned claims never reads it again.
    const [settledClaim] = await store.select<{ claimed_until: bigint }>(
      "SELECT claimed_until FROM trace_claims",
    );
    expect(Number(settledClaim?.claimed_until)).toBe(Number.MAX_SAFE_INTEGER);
    // B settled what it saw; the replica that answered the question holds the whole trace and takes over, once.
    expect(await claim("replica-d", later + 1, true)).toBe(true);
    expect(await claim("replica-e", later + 2, true)).toBe(false);
    expect(await claim("replica-b", later + 3)).toBe(false);
  });

  it("opens a summarized trace again, for one claimant, when more spans arrive than it read", async () => {
    const store = await emptyStore(engine);
    const spans = wrongStorySentBy(WRONG);
    const firstPart = spans.slice(0, 3);
    const claim = (owner: string, spanCount: number, now = Date.now()) =>
      store.claimTrace(WRONG, { owner, leaseMs: LEASE_MS, spanCount, now });
    await store.addSpans(firstPart);
    expect(await claim("replica-a", firstPart.length)).toBe(true);
    await recordDiagnosis(store, WRONG, firstPart);
    expect(await store.summarizedSpanCount(WRONG)).toBe(firstPart.length);
    expect(await claim("replica-b", firstPart.length)).toBe(false);

    await store.addSpans(spans.slice(3));
    expect(await store.undiagnosedTraceIds()).toEqual([WRONG]);
    const now = Date.now();
    expect(await claim("replica-b", spans.length, now)).toBe(true);
    expect(await claim("replica-c", spans.length, now + 1)).toBe(false);
    // Replica B died before it wrote the new diagnosis: once its claim runs out, another finds it.
    expect(await store.abandonedTraceIds(now + 1)).toEqual([]);
    expect(await store.abandonedTraceIds(now + LEASE_MS + 1)).toEqual([WRONG]);
    expect(await claim("replica-c", spans.length, now + LEASE_MS + 1)).toBe(true);
    await recordDiagnosis(store, WRONG, spans);
    expect(await store.summarizedSpanCount(WRONG)).toBe(spans.length);
    expect(await store.undiagnosedTraceIds()).toEqual([]);
    expect(await claim("replica-d", spans.length, now + 10 * LEASE_MS)).toBe(false);
    expect(await store.abandonedTraceIds(now + 10 * LEASE_MS)).toEqual([]);
    // A diagnosis of the first part that overlapped and finished last does not have the last word.
    const verdict = async () =>
      (await store.annotationsOf(WRONG)).find((annotation) => annotation.name === "verdict")?.label;
    expect(await verdict()).toBe("unsupported");
    await recordDiagnosis(store, WRONG, firstPart);
    expect(await store.summarizedSpanCount(WRONG)).toBe(spans.length);
    expect(await verdict()).toBe("unsupported");
  });

  it("deletes old traces with everything attached to them, in batches", async () => {
    const store = await emptyStore(engine);
    await twoDiagnosedTraces(store);
    await store.claimTrace(WRONG, { owner: "replica-a", leaseMs: LEASE_MS, spanCount: 1 });
    expect(await enforceRetention(store, 1)).toBe(2);
    expect(await store.traceIds()).toEqual([]);
    for (const table of ["annotations", "trace_summaries", "trace_findings", "trace_claims"]) {
      expect(await store.select(`SELECT trace_id FROM ${table}`), table).toEqual([]);
    }
  });

  it("serves concurrent calls, transactions among them, through one connection", async () => {
    const store = await openTraceStore(await newStoreLocation(engine), { maxConnections: 1 });
    opened.push(store);
    const wrong = wrongStorySentBy(WRONG);
    await store.addSpans(wrong);
    await Promise.all([
      recordDiagnosis(store, WRONG, wrong),
      ...Array.from({ length: 5 }, () => store.spansOf(WRONG)),
      store.addRows([]),
    ]);
    expect(await store.summarizedSpanCount(WRONG)).toBe(wrong.length);
  });

  it("keeps experiment reports, newest first", async () => {
    const store = await emptyStore(engine);
    const report = (experiment: string) => ({ experiment, seed: 1, tickets: 0, arms: [], comparisons: [] });
    await store.saveExperiment(report("exp-1"), new Date("2026-12-01T00:00:00Z"));
    await store.saveExperiment(report("exp-2"), new Date("2026-12-02T00:00:00Z"));
    expect((await store.experiments()).map((stored) => stored.report.experiment)).toEqual(["exp-2", "exp-1"]);
    expect((await store.experiment("exp-1"))?.createdAt).toBe("2026-12-01T00:00:00.000Z");
    expect(await store.experiment("missing")).toBeUndefined();
  });

  it("refuses a store whose schema is newer than this version knows", async () => {
    const location = await newStoreLocation(engine);
    await (await openTraceStore(location)).close();
    if (engine === "sqlite") {
      const sqlite = new SqliteTraceStore(location);
      sqlite.db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
      await sqlite.close();
    } else {
      await onServer(location, (client) => client.query("UPDATE schema_version SET version = version + 1"));
    }
    await expect(openTraceStore(location)).rejects.toThrow(/has schema version \d+; this version knows \d+/);
  });
});

describe("a PostgreSQL store it cannot reach", () => {
  it("is refused with its URL, never its password", async () => {
    const opening = openTraceStore("postgres://someone:s3cret-pass@127.0.0.1:1/traces");
    await expect(opening).rejects.toThrow(
      /cannot use the PostgreSQL store postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/traces/,
    );
    await expect(opening).rejects.not.toThrow(/s3cret-pass/);
  });
});
