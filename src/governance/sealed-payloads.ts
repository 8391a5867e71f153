import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

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

/**
 * The restricted payload tier: a store of its own (RESTRICTED_STORE, a SQLite file or a PostgreSQL
 * database with its own credentials), every payload sealed with AES-256-GCM under a key from
 * configuration, so a copy of the store exposes nothing. Every read is audited.
 */
export interface RestrictedStore {
  /** Resolves once the store is reachable and its tables exist; rejects, naming it, when not. */
  opened(): Promise<void>;
  put(traceId: string, payloads: readonly SpanPayload[], now?: number): Promise<void>;
  has(traceId: string): Promise<boolean>;
  /** Opens a trace's payloads for `who`, writing the audit row first. */
  read(traceId: string, who: string, now?: Date): Promise<SpanPayload[]>;
  auditLog(limit?: number): Promise<AuditEntry[]>;
  /** Deletes payloads stored before `cutoffMs`; returns how many. */
  deleteStoredBefore(cutoffMs: number): Promise<number>;
  close(): Promise<void>;
}

/** One payload as both engines keep it. */
export interface SealedPayload {
  span_id: string;
  span_name: string;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

export function seal(
  key: Buffer,
  traceId: string,
  payload: SpanPayload,
): Pick<SealedPayload, "iv" | "tag" | "ciphertext"> {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  // The ids are authenticated too: a sealed payload cannot be moved to another span.
  cipher.setAAD(Buffer.from(`${traceId}/${payload.spanId}`));
  const ciphertext = Buffer.concat([
    cipher.update(JSON.stringify(payload.attributes), "utf8"),
    cipher.final(),
  ]);
  return { iv, tag: cipher.getAuthTag(), ciphertext };
}

export function unseal(key: Buffer, traceId: string, row: SealedPayload): SpanPayload {
  const decipher = createDecipheriv("aes-256-gcm", key, row.iv);
  decipher.setAAD(Buffer.from(`${traceId}/${row.span_id}`));
  decipher.setAuthTag(row.tag);
  const plain = Buffer.concat([decipher.update(row.ciphertext), decipher.final()]).toString("utf8");
  return {
    spanId: row.span_id,
    spanName: row.span_name,
    attributes: JSON.parse(plain) as Record<string, unknown>,
  };
}
