/**
 * The two trace-store engines, for the tests that must hold on both: SQLite, always, and PostgreSQL
 * where the test run has a server (test/global-setup.ts). Each call gets an empty store of its own.
 */
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { createDatabase } from "../../scripts/postgres-database.ts";
import { tempStore } from "./processes.ts";

export type StoreEngine = "sqlite" | "postgres";

export const postgresUrl = inject("postgresUrl");

/** The engines this run can test; PostgreSQL's absence is said once, not hidden. */
export const STORE_ENGINES: readonly StoreEngine[] = postgresUrl ? ["sqlite", "postgres"] : ["sqlite"];
if (!postgresUrl)
  console.warn(
    "PostgreSQL store tests skipped: no server (apt-get install postgresql, or set TEST_POSTGRES_URL)",
  );

/** A new empty database on the test server, by URL. */
export const newPostgresDatabase = (): Promise<string> =>
  createDatabase(postgresUrl, `test_${randomBytes(6).toString("hex")}`);

/** Where a new, empty trace store of `engine` is: a file path or a database URL. */
export async function newStoreLocation(engine: StoreEngine): Promise<string> {
  return engine === "sqlite" ? tempStore().traceStore : newPostgresDatabase();
}
