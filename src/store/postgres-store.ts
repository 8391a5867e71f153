import pg from "pg";
import { POSTGRES_MIGRATIONS } from "./postgres-migrations.ts";
import { inTransaction, redactedUrl, withoutNul } from "../shared/postgres.ts";
import {
  ABANDONED_TRACES_SQL,
  CLAIM_TRACE_SQL,
  SET_SAMPLING_SQL,
  SETTLE_CLAIM_SQL,
  TRACE_TABLES,
  UNDIAGNOSED_TRACES_SQL,
  UPSERT_SUMMARY_SQL,
} from "./migrations.ts";
import { newerSchema, StoreUnavailableError } from "./store-errors.ts";
import {
  fromRow,
  toSpanRow,
  type AnnotationRecord,
  type FeedbackRecord,
  type SpanRecord,
  type SpanRow,
} from "./records.ts";
import type { SqlParams, TraceClaim, TraceStore } from "./trace-store.ts";
import type { TraceSummary } from "./summary-row.ts";
import type { ExperimentReport, StoredExperiment } from "./experiment-row.ts";

const INT8_OID = 20;
/** Nanosecond times exceed 2^53: BIGINT columns come back as bigint, as better-sqlite3's safe integers do. */
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID
      ? (value: string) => BigInt(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Any two processes that migrate the same database take turns on this lock. */
const MIGRATION_LOCK = 7_264_101;

const SPAN_COLUMNS = [
  "trace_id",
  "span_id",
  "parent_span_id",
  "name",
  "service",
  "span_kind",
  "oi_kind",
  "start_ns",
  "end_ns",
  "status_code",
  "status_message",
  "attributes",
  "events",
  "links",
  "resource",
  "scope",
] as const satisfies readonly (keyof SpanRow)[];
/** PostgreSQL takes at most 65,535 parameters per statement; 16 per span. */
const ROWS_PER_INSERT = 1_000;

/** `@name` parameters (the text both engines' queries share) to PostgreSQL's `$1`, once per text. */
const positional = new Map<string, { text: string; names: string[] }>();
function toPositional(sql: string, params: SqlParams): { text: string; values: unknown[] } {
  let compiled = positional.get(sql);
  if (!compiled) {
    const names: string[] = [];
    const text = sql.replace(/@([A-Za-z_]\w*)/g, (_, name: string) => {
      const index = names.indexOf(name);
      if (index >= 0) return `$${index + 1}`;
      names.push(name);
      return `$${names.length}`;
    });
    compiled = { text, names };
    if (positional.size < 1_000) positional.set(sql, compiled);
  }
  return { text: compiled.text, values: compiled.names.map((name) => withoutNul(params[name] ?? null)) };
}

/**
 * The shared trace backend: one PostgreSQL database that any number of `serve` replicas (and the
 * mock services' exporters) read and write at once. Same tables and rules as SQLite's; the
 * differences are types (BIGINT, DOUBLE PRECISION, BIGSERIAL ids) and the SQL of a few statements.
 */
export class PostgresTraceStore implements TraceStore {
  readonly dialect = "postgres";

  private constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
  ) {}

  /** Connects, then brings the schema up to date; throws with the URL (not its password) when it cannot. */
  static async open(url: string, maxConnections = 8): Promise<PostgresTraceStore> {
    const location = redactedUrl(url);
    const pool = new pg.Pool({
      connectionString: url,
      max: maxConnections,
      types,
      connectionTimeoutMillis: 10_000,
    });
    // An idle connection that breaks (the server restarts) is replaced; the next query reports it.
    pool.on("error", () => {});
    const store = new PostgresTraceStore(pool, location);
    try {
      await store.migrate();
    } catch (error) {
      await pool.end();
      if (error instanceof StoreUnavailableError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new StoreUnavailableError(`TRACE_STORE: cannot use the PostgreSQL store ${location}: ${reason}`);
    }
    return store;
  }

  private async migrate() {
    await inTransaction(this.pool, async (client) => {
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      await client.query("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
      const { rows } = await client.query<{ version: number }>("SELECT version FROM schema_version");
      const current = rows[0]?.version ?? 0;
      if (current > POSTGRES_MIGRATIONS.length)
        throw newerSchema(this.location, current, POSTGRES_MIGRATIONS.length);
      for (const [index, sql] of POSTGRES_MIGRATIONS.entries()) {
        if (index >= current) await client.query(sql);
      }
      if (rows.length === 0)
        await client.query("INSERT INTO schema_version VALUES ($1)", [POSTGRES_MIGRATIONS.length]);
      else await client.query("UPDATE schema_version SET version = $1", [POSTGRES_MIGRATIONS.length]);
    });
  }

  private async rows<Row extends pg.QueryResultRow>(
    sql: string,
    params: SqlParams = {},
    client: pg.Pool | pg.PoolClient = this.pool,
  ): Promise<Row[]> {
    const { text, values } = toPositional(sql, params);
    return (await client.query<Row>(text, values)).rows;
  }

  async addSpans(spans: readonly SpanRecord[]): Promise<number> {
    return this.addRows(spans.map(toSpanRow));
  }

  async addRows(rows: readonly SpanRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const insert = async (client: pg.Pool | pg.PoolClient, batch: readonly SpanRow[]) => {
      const values = batch.flatMap((row) => SPAN_COLUMNS.map((column) => withoutNul(row[column])));
      const tuples = batch.map(
        (_, row) =>
          `(${SPAN_COLUMNS.map((_, column) => `$${row * SPAN_COLUMNS.length + column + 1}`).join(", ")})`,
      );
      const result = await client.query(
        `INSERT INTO spans (${SPAN_COLUMNS.join(", ")}) VALUES ${tuples.join(", ")}
         ON CONFLICT (trace_id, span_id) DO NOTHING`,
        values,
      );
      return result.rowCount ?? 0;
    };
    if (rows.length <= ROWS_PER_INSERT) return insert(this.pool, rows);
    return inTransaction(this.pool, async (client) => {
      let inserted = 0;
      for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
        inserted += await insert(client, rows.slice(start, start + ROWS_PER_INSERT));
      }
      return inserted;
    });
  }

  async spansOf(traceId: string): Promise<SpanRecord[]> {
    const rows = await this.rows<SpanRow & pg.QueryResultRow>(
      "SELECT * FROM spans WHERE trace_id = @traceId ORDER BY start_ns, span_id",
      { traceId },
    );
    return rows.map(fromRow);
  }

  async rootOf(traceId: string): Promise<SpanRecord | undefined> {
    const [row] = await this.rows<SpanRow & pg.QueryResultRow>(
      `SELECT * FROM spans AS child WHERE trace_id = @traceId AND (parent_span_id IS NULL OR NOT EXISTS
         (SELECT 1 FROM spans AS parent WHERE parent.trace_id = child.trace_id AND parent.span_id = child.parent_span_id))
       ORDER BY start_ns LIMIT 1`,
      { traceId },
    );
    return row && fromRow(row);
  }

  async traceIds(): Promise<string[]> {
    const rows = await this.rows<{ trace_id: string }>(
      "SELECT DISTINCT trace_id FROM spans ORDER BY trace_id",
    );
    return rows.map((row) => row.trace_id);
  }

  async undiagnosedTraceIds(): Promise<string[]> {
    return (await this.rows<{ trace_id: string }>(UNDIAGNOSED_TRACES_SQL)).map((row) => row.trace_id);
  }

  async summarizedSpanCount(traceId: string): Promise<number | undefined> {
    const [row] = await this.rows<{ span_count: number }>(
      "SELECT span_count FROM trace_summaries WHERE trace_id = @traceId",
      { traceId },
    );
    return row?.span_count;
  }

  async hasTrace(traceId: string): Promise<boolean> {
    return (await this.rows("SELECT 1 FROM spans WHERE trace_id = @traceId LIMIT 1", { traceId })).length > 0;
  }

  async claimTrace(
    traceId: string,
    { owner, leaseMs, spanCount, now = Date.now(), answering = false }: TraceClaim,
  ): Promise<boolean> {
    return (
      (
        await this.rows(CLAIM_TRACE_SQL, {
          traceId,
          owner,
          now,
          until: now + leaseMs,
          answering: answering ? 1 : 0,
          spanCount,
        })
      ).length > 0
    );
  }

  async abandonedTraceIds(now = Date.now()): Promise<string[]> {
    return (await this.rows<{ trace_id: string }>(ABANDONED_TRACES_SQL, { now })).map((row) => row.trace_id);
  }

  async upsertAnnotation(annotation: AnnotationRecord): Promise<void> {
    await this.writeAnnotation(annotation, this.pool);
  }

  async replaceAnnotations(
    traceId: string,
    annotatorKind: AnnotationRecord["annotatorKind"],
    annotations: readonly AnnotationRecord[],
  ): Promise<void> {
    await inTransaction(this.pool, (client) =>
      this.writeAnnotationsOfKind(traceId, annotatorKind, annotations, client),
    );
  }

  private async writeAnnotationsOfKind(
    traceId: string,
    annotatorKind: AnnotationRecord["annotatorKind"],
    annotations: readonly AnnotationRecord[],
    client: pg.PoolClient,
  ) {
    await this.rows(
      "DELETE FROM annotations WHERE trace_id = @traceId AND annotator_kind = @annotatorKind",
      { traceId, annotatorKind },
      client,
    );
    for (const annotation of annotations) await this.writeAnnotation(annotation, client);
  }

  private async writeAnnotation(annotation: AnnotationRecord, client: pg.Pool | pg.PoolClient) {
    await this.rows(
      `INSERT INTO annotations (trace_id, span_id, name, annotator_kind, label, score, explanation, identifier, metadata, created_at)
       VALUES (@traceId, @spanId, @name, @annotatorKind, @label, @score, @explanation, @identifier, @metadata, @createdAt)
       ON CONFLICT (trace_id, span_key, name, identifier) DO UPDATE SET
         annotator_kind = excluded.annotator_kind, label = excluded.label, score = excluded.score,
         explanation = excluded.explanation, metadata = excluded.metadata, created_at = excluded.created_at`,
      { ...annotation, metadata: JSON.stringify(annotation.metadata) },
      client,
    );
  }

  async annotationsOf(traceId: string): Promise<AnnotationRecord[]> {
    const rows = await this.rows<AnnotationRecord & { metadata: string }>(
      `SELECT trace_id AS "traceId", span_id AS "spanId", name, annotator_kind AS "annotatorKind", label, score,
              explanation, identifier, metadata, created_at AS "createdAt"
       FROM annotations WHERE trace_id = @traceId ORDER BY id`,
      { traceId },
    );
    return rows.map((row) => ({ ...row, metadata: JSON.parse(row.metadata) as Record<string, unknown> }));
  }

  async addFeedback(feedback: FeedbackRecord): Promise<void> {
    await this.rows(
      "INSERT INTO feedback (trace_id, outcome, comment, received_at) VALUES (@traceId, @outcome, @comment, @receivedAt)",
      { ...feedback },
    );
  }

  async feedbackOf(traceId: string): Promise<FeedbackRecord[]> {
    return this.rows<FeedbackRecord & pg.QueryResultRow>(
      `SELECT trace_id AS "traceId", outcome, comment, received_at AS "receivedAt"
       FROM feedback WHERE trace_id = @traceId ORDER BY id`,
      { traceId },
    );
  }

  async setFeedbackOutcome(traceId: string, outcome: string): Promise<void> {
    await this.rows("UPDATE trace_summaries SET feedback_outcome = @outcome WHERE trace_id = @traceId", {
      traceId,
      outcome,
    });
  }

  async upsertSummary(summary: TraceSummary, codeAnnotations: readonly AnnotationRecord[]): Promise<boolean> {
    const { findings, documents, ...row } = summary;
    return inTransaction(this.pool, async (client) => {
      const written = await this.rows(
        UPSERT_SUMMARY_SQL,
        { ...row, findingCount: findings.length, updatedAt: new Date().toISOString() },
        client,
      );
      if (written.length === 0) return false;
      await this.rows(SETTLE_CLAIM_SQL, { traceId: summary.traceId, spanCount: summary.spanCount }, client);
      const traceId = summary.traceId;
      await this.rows("DELETE FROM trace_findings WHERE trace_id = @traceId", { traceId }, client);
      await this.rows("DELETE FROM trace_documents WHERE trace_id = @traceId", { traceId }, client);
      for (const finding of findings) {
        await this.rows(
          "INSERT INTO trace_findings (trace_id, kind, stage, tool, claim) VALUES (@traceId, @kind, @stage, @tool, @claim)",
          { traceId, ...finding },
          client,
        );
      }
      for (const doc of documents) {
        await this.rows(
          `INSERT INTO trace_documents (trace_id, doc_id, version, current_version, kind, rank, cited)
           VALUES (@traceId, @docId, @version, @currentVersion, @kind, @rank, @cited)`,
          { traceId, ...doc, cited: doc.cited ? 1 : 0 },
          client,
        );
      }
      await this.writeAnnotationsOfKind(traceId, "CODE", codeAnnotations, client);
      return true;
    });
  }

  async setSampling(traceId: string, decision: "kept" | "dropped", reason: string): Promise<void> {
    await this.rows(SET_SAMPLING_SQL, { traceId, decision, reason });
  }

  async deleteTracesStartedBefore(cutoffNs: bigint, limit = 25): Promise<number> {
    const traceIds = (
      await this.rows<{ trace_id: string }>(
        `SELECT trace_id FROM trace_summaries WHERE start_ns < @cutoff
         UNION SELECT trace_id FROM spans WHERE parent_span_id IS NULL AND start_ns < @cutoff
         LIMIT @limit`,
        { cutoff: cutoffNs, limit },
      )
    ).map((row) => row.trace_id);
    if (traceIds.length === 0) return 0;
    await inTransaction(this.pool, async (client) => {
      for (const table of TRACE_TABLES) {
        await client.query(`DELETE FROM ${table} WHERE trace_id = ANY($1::text[])`, [traceIds]);
      }
    });
    return traceIds.length;
  }

  async saveExperiment(report: ExperimentReport, createdAt = new Date()): Promise<void> {
    await this.rows("INSERT INTO experiments (id, created_at, report) VALUES (@id, @createdAt, @report)", {
      id: report.experiment,
      createdAt: createdAt.toISOString(),
      report: JSON.stringify(report),
    });
  }

  async experiments(limit = 100): Promise<StoredExperiment[]> {
    const rows = await this.rows<{ report: string; created_at: string }>(
      "SELECT report, created_at FROM experiments ORDER BY created_at DESC, id DESC LIMIT @limit",
      { limit },
    );
    return rows.map((row) => ({
      report: JSON.parse(row.report) as ExperimentReport,
      createdAt: row.created_at,
    }));
  }

  async experiment(id: string): Promise<StoredExperiment | undefined> {
    const [row] = await this.rows<{ report: string; created_at: string }>(
      "SELECT report, created_at FROM experiments WHERE id = @id",
      { id },
    );
    return row && { report: JSON.parse(row.report) as ExperimentReport, createdAt: row.created_at };
  }

  async select<Row>(sql: string, params: SqlParams = {}): Promise<Row[]> {
    return (await this.rows(sql, params)) as Row[];
  }

  async selectValues<Value>(sql: string, params: SqlParams = {}): Promise<Value[]> {
    const { text, values } = toPositional(sql, params);
    const { rows } = await this.pool.query<Value[]>({ text, values, rowMode: "array" });
    return rows.map((row) => row[0] as Value);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
