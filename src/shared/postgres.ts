import type { Pool, PoolClient } from "pg";

const POSTGRES_URL = /^postgres(ql)?:\/\//;

/** True when `TRACE_STORE` (or `RESTRICTED_STORE`) names a PostgreSQL database rather than a SQLite file. */
export const isPostgresUrl = (location: string): boolean => POSTGRES_URL.test(location);

/**
 * PostgreSQL's text types cannot hold U+0000, which SQLite stores and a span from anywhere may
 * carry: it becomes U+FFFD, the replacement character, rather than failing the whole batch.
 */
export const withoutNul = <Value>(value: Value): Value =>
  (typeof value === "string" && value.includes("\0") ? value.replaceAll("\0", "\uFFFD") : value) as Value;

/**
 * Runs `work` in a transaction on a client of `pool`. While a client is checked out the pool stops
 * listening for its errors: a connection lost meanwhile must not become an uncaught exception (the
 * query in flight fails instead), and a client whose rollback failed is not handed out again.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const ignore = () => {};
  client.on("error", ignore);
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch((failure: unknown) => {
      broken = failure instanceof Error ? failure : new Error(String(failure));
    });
    throw error;
  } finally {
    client.off("error", ignore);
    client.release(broken);
  }
}

/** A URL fit for messages and logs: the password is left out. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres://(unparsable URL)";
  }
}
