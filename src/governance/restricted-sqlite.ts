import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
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
    iv BLOB NOT NULL,
    tag BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    stored_at INTEGER NOT NULL,
    PRIMARY KEY (trace_id, span_id)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS payloads_stored_at ON payloads (stored_at);
  CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    who TEXT NOT NULL,
    action TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    at TEXT NOT NULL
  );`;

/** The restricted payload tier in its own SQLite file (the embedded default). */
export class SqliteRestrictedStore implements RestrictedStore {
  private readonly db: Database.Database;

  constructor(
    readonly path: string,
    private readonly key: Buffer,
  ) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(SCHEMA);
  }

  async opened(): Promise<void> {}

  async put(traceId: string, payloads: readonly SpanPayload[], now = Date.now()): Promise<void> {
    const insert = this.db.prepare(
      `INSERT OR REPLACE INTO payloads (trace_id, span_id, span_name, iv, tag, ciphertext, stored_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const payload of payloads) {
        const { iv, tag, ciphertext } = seal(this.key, traceId, payload);
        insert.run(traceId, payload.spanId, payload.spanName, iv, tag, ciphertext, now);
      }
    })();
  }

  async has(traceId: string): Promise<boolean> {
    return this.db.prepare("SELECT 1 FROM payloads WHERE trace_id = ? LIMIT 1").get(traceId) !== undefined;
  }

  /** Opens a trace's payloads for `who`, writing the audit row first. */
  async read(traceId: string, who: string, now = new Date()): Promise<SpanPayload[]> {
    this.db
      .prepare("INSERT INTO audit (who, action, trace_id, at) VALUES (?, 'read_payloads', ?, ?)")
      .run(who, traceId, now.toISOString());
    const rows = this.db
      .prepare(
        "SELECT span_id, span_name, iv, tag, ciphertext FROM payloads WHERE trace_id = ? ORDER BY stored_at, span_id",
      )
      .all(traceId) as SealedPayload[];
    return rows.map((row) => unseal(this.key, traceId, row));
  }

  async auditLog(limit = 100): Promise<AuditEntry[]> {
    return this.db
      .prepare("SELECT who, action, trace_id AS traceId, at FROM audit ORDER BY id DESC LIMIT ?")
      .all(limit) as AuditEntry[];
  }

  /** Deletes payloads stored before `cutoffMs`; returns how many. */
  async deleteStoredBefore(cutoffMs: number): Promise<number> {
    return this.db.prepare("DELETE FROM payloads WHERE stored_at < ?").run(cutoffMs).changes;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
