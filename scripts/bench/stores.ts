import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { isPostgresUrl } from "../../src/shared/postgres.ts";
import { createDatabase, onServer } from "../postgres-database.ts";

/** Fixed keys for the bench's stores: PostgreSQL stores need configured keys (no key file beside them). */
const BENCH_KEYS = { PSEUDONYMIZATION_KEY: "be".repeat(32), RESTRICTED_STORE_KEY: "ec".repeat(32) };

/**
 * Where each bench run writes: a fresh SQLite file in the bench's directory, or, with
 * `--store postgres://…`, a fresh database on that server (created with the URL's credentials,
 * dropped at the end). Every measurement then runs the same code on either engine.
 */
export class BenchStores {
  private readonly databases: string[] = [];

  constructor(
    readonly dir: string,
    /** The `--store` URL; undefined: SQLite. */
    private readonly serverUrl?: string,
  ) {
    if (serverUrl !== undefined && !isPostgresUrl(serverUrl))
      throw new Error(`--store: expected a postgres:// URL, got ${JSON.stringify(serverUrl)}`);
  }

  get engine(): "sqlite" | "postgres" {
    return this.serverUrl ? "postgres" : "sqlite";
  }

  /** A new, empty store for the run `name`. */
  async location(name: string): Promise<string> {
    if (!this.serverUrl) return join(this.dir, `${name}.db`);
    const database = `bench_${name.replaceAll(/\W/g, "_")}_${randomBytes(4).toString("hex")}`;
    this.databases.push(database);
    return createDatabase(this.serverUrl, database);
  }

  /** The configuration of a process that writes to `location`: the restricted tier is a file beside the bench. */
  env(location: string): Record<string, string> {
    return {
      TRACE_STORE: location,
      RESTRICTED_STORE: join(this.dir, `restricted-${randomBytes(4).toString("hex")}.db`),
      ...(isPostgresUrl(location) && BENCH_KEYS),
    };
  }

  async dropAll(): Promise<void> {
    const server = this.serverUrl;
    if (!server) return;
    for (const database of this.databases.splice(0))
      await onServer(server, (client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  }
}
