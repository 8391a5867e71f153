import { PostgresRestrictedStore } from "./restricted-postgres.ts";
import { SqliteRestrictedStore } from "./restricted-sqlite.ts";
import { isPostgresUrl } from "../shared/postgres.ts";
import type { RestrictedStore } from "./sealed-payloads.ts";

export type { AuditEntry, RestrictedStore, SpanPayload } from "./sealed-payloads.ts";

/**
 * Opens the restricted tier `location` names: a `postgres://` URL (connected on first use; `opened()`
 * says whether it can be) or a SQLite file path.
 */
export function openRestrictedStore(location: string, key: Buffer): RestrictedStore {
  if (key.length !== 32) throw new Error("the restricted store key must be 32 bytes (AES-256)");
  return isPostgresUrl(location)
    ? new PostgresRestrictedStore(location, key)
    : new SqliteRestrictedStore(location, key);
}
