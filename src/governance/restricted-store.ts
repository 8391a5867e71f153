import Database from "better-sqlite3";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

/** The raw attributes of one span (prompts, tool bodies, answers) that the always-kept tier leaves out. */
export interface SpanPayload {
  spanId: string;
  spanName: string;
  attributes: Record<string, unknown>;
}

export interface AuditEntry {
  who: string;
  action: string;
  traceId: string;
  at: string;
}

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

/**
 * The restricted payload tier: its own SQLite file, every payload sealed with AES-256-GCM (the key
 * comes from configuration), so a copy of the file exposes nothing. Every read is audited.
 */
export class RestrictedStore {
  private readonly db: Database.Database;

  constructor(
    readonly path: string,
    private readonly key: Buffer,
  ) {
    if (key.length !== 32) throw new Error("the restricted store key must be 32 bytes (AES-256)");
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(SCHEMA);
  }

  put(traceId: string, payloads: readonly SpanPayload[], now = Date.now()) {
    const insert = this.db.prepare(
      `INSERT OR REPLACE INTO payloads (trace_id, span_id, span_name, iv, tag, ciphertext, stored_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const payload of payloads) {
        const iv = randomBytes(12);
        const cipher = createCipheriv("aes-256-gcm", this.key, iv);
        // The ids are authenticated too: a sealed payload cannot be moved to another span.
        cipher.setAAD(Buffer.from(`${traceId}/${payload.spanId}`));
        const ciphertext = Buffer.concat([
          cipher.update(JSON.stringify(payload.attributes), "utf8"),
          cipher.final(),
        ]);
        insert.run(traceId, payload.spanId, payload.spanName, iv, cipher.getAuthTag(), ciphertext, now);
      }
    })();
  }

  has(traceId: string): boolean {
    return this.db.prepare("SELECT 1 FROM payloads WHERE trace_id = ? LIMIT 1").get(traceId) !== undefined;
  }

  /** Opens a trace's payloads for `who`, writing the audit row first. */
  read(traceId: string, who: string, now = new Date()): SpanPayload[] {
    this.db
      .prepare("INSERT INTO audit (who, action, trace_id, at) VALUES (?, 'read_payloads', ?, ?)")
      .run(who, traceId, now.toISOString());
    const rows = this.db
      .prepare(
        "SELECT span_id, span_name, iv, tag, ciphertext FROM payloads WHERE trace_id = ? ORDER BY stored_at, span_id",
      )
      .all(traceId) as { span_id: string; span_name: string; iv: Buffer; tag: Buffer; ciphertext: Buffer }[];
    return rows.map((row) => {
      const decipher = createDecipheriv("aes-256-gcm", this.key, row.iv);
      decipher.setAAD(Buffer.from(`${traceId}/${row.span_id}`));
      decipher.setAuthTag(row.tag);
      const plain = Buffer.concat([decipher.update(row.ciphertext), decipher.final()]).toString("utf8");
      return {
        spanId: row.span_id,
        spanName: row.span_name,
        attributes: JSON.parse(plain) as Record<string, unknown>,
      };
    });
  }

  auditLog(limit = 100): AuditEntry[] {
    return this.db
      .prepare("SELECT who, action, trace_id AS traceId, at FROM audit ORDER BY id DESC LIMIT ?")
      .all(limit) as AuditEntry[];
  }

  /** Deletes payloads stored before `cutoffMs`; returns how many. */
  deleteStoredBefore(cutoffMs: number): number {
    return this.db.prepare("DELETE FROM payloads WHERE stored_at < ?").run(cutoffMs).changes;
  }

  close() {
    this.db.close();
  }
}
