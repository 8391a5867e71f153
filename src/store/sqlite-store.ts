import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { shareCheckpointer } from "./checkpointer.ts";
import {
  ABANDONED_TRACES_SQL,
  CLAIM_TRACE_SQL,
  MIGRATIONS,
  SET_SAMPLING_SQL,
  SETTLE_CLAIM_SQL,
  TRACE_TABLES,
  UNDIAGNOSED_TRACES_SQL,
  UPSERT_SUMMARY_SQL,
} from "./migrations.ts";
import { newerSchema } from "./store-errors.ts";
import {
  fromRow,
  toSpanRow,
  type AnnotationRecord,
  type FeedbackRecord,
  type SpanRecord,
  type SpanRow,
} from "./records.ts";
import type { SqlParams, TraceClaim, TraceStore, TraceStoreOptions } from "./trace-store.ts";
import type { TraceSummary } from "./summary-row.ts";
import type { ExperimentReport, StoredExperiment } from "./experiment-row.ts";

/**
 * The embedded trace backend: one SQLite file (WAL, so the assistant and the mock services, each in
 * its own process, can write to it side by side). better-sqlite3 is synchronous: each method does
 * its work at once and returns a settled promise.
 */
export class SqliteTraceStore implements TraceStore {
  readonly dialect = "sqlite";
  readonly db: Database.Database;
  private readonly insertSpan: Database.Statement;
  private readonly insertRows: (rows: readonly SpanRow[]) => number;
  private readonly releaseCheckpointer: (() => void) | undefined;

  constructor(
    readonly location: string,
    options: TraceStoreOptions = {},
  ) {
    const path = location;
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("synchronous = NORMAL");
    this.migrate();
    if (options.backgroundCheckpoints && path !== ":memory:") {
      this.db.pragma("wal_autocheckpoint = 0");
      this.releaseCheckpointer = shareCheckpointer(path);
    }
    // Append-only: stored evidence is never rewritten; a span id already stored is left as it is.
    this.insertSpan = this.db.prepare(
      `INSERT INTO spans (trace_id, span_id, parent_span_id, name, service, span_kind, oi_kind,
         start_ns, end_ns, status_code, status_message, attributes, events, links, resource, scope)
       VALUES (@trace_id, @span_id, @parent_span_id, @name, @service, @span_kind, @oi_kind,
         @start_ns, @end_ns, @status_code, @status_message, @attributes, @events, @links, @resource, @scope)
       ON CONFLICT (trace_id, span_id) DO NOTHING`,
    );
    this.insertRows = this.db.transaction((rows: readonly SpanRow[]) => {
      let inserted = 0;
      for (const row of rows) inserted += this.insertSpan.run(row).changes;
      return inserted;
    });
  }

  private migrate() {
    const version = () => this.db.pragma("user_version", { simple: true }) as number;
    if (version() === MIGRATIONS.length) return;
    // IMMEDIATE takes the write lock before reading the version: the processes of a run open a new
    // store together, and each of them read version 0 and created the tables ("table spans already exists").
    this.db
      .transaction(() => {
        const current = version();
        if (current > MIGRATIONS.length) throw newerSchema(this.location, current, MIGRATIONS.length);
        for (const [index, sql] of MIGRATIONS.entries()) {
          if (index < current) continue;
          this.db.exec(sql);
          this.db.pragma(`user_version = ${index + 1}`);
        }
      })
      .immediate();
  }

  async addSpans(spans: readonly SpanRecord[]): Promise<number> {
    return this.addRows(spans.map(toSpanRow));
  }

  /**
   * Spans already serialized by `toSpanRow`, perhaps in another thread; one transaction. Returns how
   * many were new: a span whose trace and span id are already stored is refused, not replaced.
   */
  async addRows(rows: readonly SpanRow[]): Promise<number> {
    return rows.length > 0 ? this.insertRows(rows) : 0;
  }

  async spansOf(traceId: string): Promise<SpanRecord[]> {
    const rows = this.db
      .prepare("SELECT * FROM spans WHERE trace_id = ? ORDER BY start_ns, span_id")
      .safeIntegers(true)
      .all(traceId) as SpanRow[];
    return rows.map(fromRow);
  }

  /**
   * The earliest span whose parent is not in the store: the trace's root, even when the trace
   * continued a caller's traceparent. Undefined while no span of the trace has arrived. The rule of
   * `rootOf` in src/trace/request.ts, without loading the trace's spans.
   */
  async rootOf(traceId: string): Promise<SpanRecord | undefined> {
    const row = this.db
      .prepare(
        `SELECT * FROM spans AS child WHERE trace_id = ? AND (parent_span_id IS NULL OR NOT EXISTS
           (SELECT 1 FROM spans AS parent WHERE parent.trace_id = child.trace_id AND parent.span_id = child.parent_span_id))
         ORDER BY start_ns LIMIT 1`,
      )
      .safeIntegers(true)
      .get(traceId) as SpanRow | undefined;
    return row && fromRow(row);
  }

  async traceIds(): Promise<string[]> {
    return (this.db.prepare("SELECT DISTINCT trace_id FROM spans").pluck().all() as string[]).sort();
  }

  async undiagnosedTraceIds(): Promise<string[]> {
    return this.db.prepare(UNDIAGNOSED_TRACES_SQL).pluck().all() as string[];
  }

  async summarizedSpanCount(traceId: string): Promise<number | undefined> {
    return this.db
      .prepare("SELECT span_count FROM trace_summaries WHERE trace_id = ?")
      .pluck()
      .get(traceId) as number | undefined;
  }

  async hasTrace(traceId: string): Promise<boolean> {
    return this.db.prepare("SELECT 1 FROM spans WHERE trace_id = ? LIMIT 1").get(traceId) !== undefined;
  }

  async claimTrace(
    traceId: string,
    { owner, leaseMs, spanCount, now = Date.now(), answering = false }: TraceClaim,
  ): Promise<boolean> {
    return (
      this.db
        .prepare(CLAIM_TRACE_SQL)
        .get({ traceId, owner, now, until: now + leaseMs, answering: answering ? 1 : 0, spanCount }) !==
      undefined
    );
  }

  async abandonedTraceIds(now = Date.now()): Promise<string[]> {
    return this.db.prepare(ABANDONED_TRACES_SQL).pluck().all({ now }) as string[];
  }

  async upsertAnnotation(annotation: AnnotationRecord) {
    this.writeAnnotation(annotation);
  }

  private writeAnnotation(annotation: AnnotationRecord) {
    this.db
      .prepare(
        `INSERT INTO annotations (trace_id, span_id, name, annotator_kind, label, score, explanation, identifier, metadata, created_at)
         VALUES (@traceId, @spanId, @name, @annotatorKind, @label, @score, @explanation, @identifier, @metadata, @createdAt)
         ON CONFLICT (trace_id, span_key, name, identifier) DO UPDATE SET
           annotator_kind = excluded.annotator_kind, label = excluded.label, score = excluded.score,
           explanation = excluded.explanation, metadata = excluded.metadata, created_at = excluded.created_at`,
      )
      .run({ ...annotation, metadata: JSON.stringify(annotation.metadata) });
  }

  async replaceAnnotations(
    traceId: string,
    annotatorKind: AnnotationRecord["annotatorKind"],
    annotations: readonly AnnotationRecord[],
  ): Promise<void> {
    this.db.transaction(() => this.writeAnnotationsOfKind(traceId, annotatorKind, annotations))();
  }

  /** Within a transaction. */
  private writeAnnotationsOfKind(
    traceId: string,
    annotatorKind: AnnotationRecord["annotatorKind"],
    annotations: readonly AnnotationRecord[],
  ) {
    this.db
      .prepare("DELETE FROM annotations WHERE trace_id = ? AND annotator_kind = ?")
      .run(traceId, annotatorKind);
    for (const annotation of annotations) this.writeAnnotation(annotation);
  }

  async annotationsOf(traceId: string): Promise<AnnotationRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT trace_id AS traceId, span_id AS spanId, name, annotator_kind AS annotatorKind, label, score,
                explanation, identifier, metadata, created_at AS createdAt
         FROM annotations WHERE trace_id = ? ORDER BY id`,
      )
      .all(traceId) as (AnnotationRecord & { metadata: string })[];
    return rows.map((row) => ({ ...row, metadata: JSON.parse(row.metadata) as Record<string, unknown> }));
  }

  async addFeedback(feedback: FeedbackRecord) {
    this.db
      .prepare(
        "INSERT INTO feedback (trace_id, outcome, comment, received_at) VALUES (@traceId, @outcome, @comment, @receivedAt)",
      )
      .run(feedback);
  }

  async feedbackOf(traceId: string): Promise<FeedbackRecord[]> {
    return this.db
      .prepare(
        `SELECT trace_id AS traceId, outcome, comment, received_at AS receivedAt
         FROM feedback WHERE trace_id = ? ORDER BY id`,
      )
      .all(traceId) as FeedbackRecord[];
  }

  async upsertSummary(summary: TraceSummary, codeAnnotations: readonly AnnotationRecord[]): Promise<boolean> {
    const { findings, documents, ...row } = summary;
    return this.db.transaction(() => {
      const written = this.db
        .prepare(UPSERT_SUMMARY_SQL)
        .get({ ...row, findingCount: findings.length, updatedAt: new Date().toISOString() });
      if (!written) return false;
      this.db.prepare(SETTLE_CLAIM_SQL).run({ traceId: summary.traceId, spanCount: summary.spanCount });
      this.db.prepare("DELETE FROM trace_findings WHERE trace_id = ?").run(summary.traceId);
      this.db.prepare("DELETE FROM trace_documents WHERE trace_id = ?").run(summary.traceId);
      const addFinding = this.db.prepare(
        "INSERT INTO trace_findings (trace_id, kind, stage, tool, claim) VALUES (?, ?, ?, ?, ?)",
      );
      for (const finding of findings) {
        addFinding.run(summary.traceId, finding.kind, finding.stage, finding.tool, finding.claim);
      }
      const addDocument = this.db.prepare(
        "INSERT INTO trace_documents (trace_id, doc_id, version, current_version, kind, rank, cited) VALUES (?, ?, ?, ?, ?, ?, ?)",
      );
      for (const doc of documents) {
        addDocument.run(
          summary.traceId,
          doc.docId,
          doc.version,
          doc.currentVersion,
          doc.kind,
          doc.rank,
          doc.cited ? 1 : 0,
        );
      }
      this.writeAnnotationsOfKind(summary.traceId, "CODE", codeAnnotations);
      return true;
    })();
  }

  /**
   * Deletes up to `limit` traces that started before `cutoffNs`, with everything attached to them.
   * Returns how many it deleted; call again until it returns 0. A batch of 25 takes about 4 ms: the
   * event loop and the other writers never wait long.
   */
  async deleteTracesStartedBefore(cutoffNs: bigint, limit = 25): Promise<number> {
    const traceIds = this.db
      .prepare(
        `SELECT trace_id FROM trace_summaries WHERE start_ns < @cutoff
         UNION SELECT trace_id FROM spans WHERE parent_span_id IS NULL AND start_ns < @cutoff
         LIMIT @limit`,
      )
      .pluck()
      .all({ cutoff: cutoffNs, limit }) as string[];
    if (traceIds.length === 0) return 0;
    const list = JSON.stringify(traceIds);
    this.db.transaction(() => {
      for (const table of TRACE_TABLES) {
        this.db.prepare(`DELETE FROM ${table} WHERE trace_id IN (SELECT value FROM json_each(?))`).run(list);
      }
    })();
    return traceIds.length;
  }

  /** Records the tail-sampling decision about the trace's raw payloads, and why. */
  async setSampling(traceId: string, decision: "kept" | "dropped", reason: string) {
    this.db.prepare(SET_SAMPLING_SQL).run({ traceId, decision, reason });
  }

  async saveExperiment(report: ExperimentReport, createdAt = new Date()) {
    this.db
      .prepare("INSERT INTO experiments (id, created_at, report) VALUES (?, ?, ?)")
      .run(report.experiment, createdAt.toISOString(), JSON.stringify(report));
  }

  /** Experiment runs, newest first. */
  async experiments(limit = 100): Promise<StoredExperiment[]> {
    return (
      this.db
        .prepare("SELECT report, created_at FROM experiments ORDER BY created_at DESC, id DESC LIMIT ?")
        .all(limit) as { report: string; created_at: string }[]
    ).map((row) => ({ report: JSON.parse(row.report) as ExperimentReport, createdAt: row.created_at }));
  }

  async experiment(id: string): Promise<StoredExperiment | undefined> {
    const row = this.db.prepare("SELECT report, created_at FROM experiments WHERE id = ?").get(id) as
      { report: string; created_at: string } | undefined;
    return row && { report: JSON.parse(row.report) as ExperimentReport, createdAt: row.created_at };
  }

  async setFeedbackOutcome(traceId: string, outcome: string) {
    this.db
      .prepare("UPDATE trace_summaries SET feedback_outcome = ? WHERE trace_id = ?")
      .run(outcome, traceId);
  }

  async select<Row>(sql: string, params: SqlParams = {}): Promise<Row[]> {
    return this.db.prepare(sql).safeIntegers(true).all(params) as Row[];
  }

  async selectValues<Value>(sql: string, params: SqlParams = {}): Promise<Value[]> {
    return this.db.prepare(sql).pluck().safeIntegers(true).all(params) as Value[];
  }

  async close() {
    this.db.close();
    this.releaseCheckpointer?.();
  }
}
