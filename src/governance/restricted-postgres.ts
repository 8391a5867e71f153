import type pg from "pg";
import { inTransaction, redactedUrl, withoutNul } from "../shared/postgres.ts";
import { StoreUnavailableError } from "../store/store-errors.ts";
import {
  seal,
  unseal,
  type AuditEntry,
  type RestrictedStore,
  type SealedPayload,
  type SpanPayload,
} from "./sealed-payloads.ts";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS payloads (
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    span_name TEXT NOT NULL,
    iv BYTEA NOT NULL,
    tag BYTEA NOT NULL,
    ciphertext BYTEA NOT NULL,
    stored_at BIGINT NOT NULL,
    PRIMARY KEY (trace_id, span_id)
  );
  CREATE INDEX IF NOT EXISTS payloads_stored_at ON payloads (stored_at);
  CREATE TABLE IF NOT EXISTS audit (
    id BIGSERIAL PRIMARY KEY,
    who TEXT NOT NULL,
    action TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    at TEXT NOT NULL
  );`;

/** PostgreSQL takes at most 65,535 parameters per statement; 7 per payload. */
const PAYLOADS_PER_INSERT = 1_000;

/** Replicas may create the tables at once: they take turns on this lock. */
const SCHEMA_LOCK = 7_264_102;

/**
 * The restricted payload tier in a PostgreSQL database of its own, shared by every replica, with
 * credentials of its own. The driver loads and connects on first use.
 */
export class PostgresRestrictedStore implements RestrictedStore {
  private readonly pool: Promise<pg.Pool>;

  constructor(
    url: string,
    private readonly key: Buffer,
  ) {
    this.pool = connect(url);
    // Reported by `opened()` and by every call: an unhandled rejection would end the process.
    this.pool.catch(() => {});
  }

  async opened(): Promise<void> {
    await this.pool;
  }

  async put(traceId: string, payloads: readonly SpanPayload[], now = Date.now()): Promise<void> {
    // The last payload of a span wins, as SQLite's INSERT OR REPLACE has it: one statement may not
    // write a row twice (a retried OTLP request can hand a span over again).
    const bySpan = [...new Map(payloads.map((payload) => [payload.spanId, payload])).values()];
    const pool = await this.pool;
    for (let start = 0; start < bySpan.length; start += PAYLOADS_PER_INSERT) {
      const batch = bySpan.slice(start, start + PAYLOADS_PER_INSERT);
      const values = batch.flatMap((payload) => {
        const { iv, tag, ciphertext } = seal(this.key, traceId, payload);
        return [traceId, payload.spanId, withoutNul(payload.spanName), iv, tag, ciphertext, now];
      });
      const tuples = batch.map(
        (_, row) => `(${[1, 2, 3, 4, 5, 6, 7].map((column) => `$${row * 7 + column}`).join(", ")})`,
      );
      await pool.query(
        `INSERT INTO payloads (trace_id, span_id, span_name, iv, tag, ciphertext, stored_at) VALUES ${tuples.join(", ")}
         ON CONFLICT (trace_id, span_id) DO UPDATE SET span_name = excluded.span_name, iv = excluded.iv,
           tag = excluded.tag, ciphertext = excluded.ciphertext, stored_at = excluded.stored_at`,
        values,
      );
    }
  }

  async has(traceId: string): Promise<boolean> {
    const { rowCount } = await (
      await this.pool
    ).query("SELECT 1 FROM payloads WHERE trace_id = $1 LIMIT 1", [traceId]);
    return (rowCount ?? 0) > 0;
  }

  async read(traceId: string, who: string, now = new Date()): Promise<SpanPayload[]> {
    const pool = await this.pool;
    await pool.query("INSERT INTO audit (who, action, trace_id, at) VALUES ($1, 'read_payloads', $2, $3)", [
      who,
      traceId,
      now.toISOString(),
    ]);
    const { rows } = await pool.query<SealedPayload>(
      "SELECT span_id, span_name, iv, tag, ciphertext FROM payloads WHERE trace_id = $1 ORDER BY stored_at, span_id",
      [traceId],
    );
    return rows.map((row) => unseal(this.key, traceId, row));
  }

  async auditLog(limit = 100): Promise<AuditEntry[]> {
    const { rows } = await (
      await this.pool
    ).query<AuditEntry>(
      `SELECT who, action, trace_id AS "traceId", at FROM audit ORDER BY id DESC LIMIT $1`,
      [limit],
    );
    return rows;
  }

  async deleteStoredBefore(cutoffMs: number): Promise<number> {
    return (
      (await (await this.pool).query("DELETE FROM payloads WHERE stored_at < $1", [cutoffMs])).rowCount ?? 0
    );
  }

  async close(): Promise<void> {
    await (await this.pool.catch(() => undefined))?.end();
  }
}

async function connect(url: string): Promise<pg.Pool> {
  const { default: postgres } = await import("pg");
  const pool = new postgres.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 10_000 });
  pool.on("error", () => {}); // a broken idle connection is replaced; the next query reports it
  try {
    await inTransaction(pool, async (client) => {
      await client.query("SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK]);
      await client.query(SCHEMA);
    });
    return pool;
  } catch (error) {
    await pool.end();
    const reason = error instanceof Error ? error.message : String(error);
    throw new StoreUnavailableError(
      `RESTRICTED_STORE: cannot use the PostgreSQL store ${redactedUrl(url)}: ${reason}`,
    );
  }
}
