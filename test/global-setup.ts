import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { buildDist } from "../scripts/build.ts";
import { postgresAvailable, startPostgresCluster } from "../scripts/postgres-cluster.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Where test/helpers/shared-replay.ts keeps the one replay of the built-in scenarios per run. */
    sharedReplayDir: string;
    /**
     * A PostgreSQL server for the tests that run on both store engines (test/helpers/stores.ts):
     * TEST_POSTGRES_URL, else a throwaway cluster started here; empty where PostgreSQL is not installed.
     */
    postgresUrl: string;
  }
}

/** Compiles dist/, which the CLI processes that tests start run, like `npm run cli`, from. */
export default async function setup({ provide }: TestProject) {
  // A cluster that does not start skips the PostgreSQL tests, saying why, like a missing one.
  const cluster =
    process.env.TEST_POSTGRES_URL || !postgresAvailable()
      ? undefined
      : startPostgresCluster().catch((error: unknown) => {
          console.warn(`PostgreSQL store tests skipped: the test cluster did not start (${String(error)})`);
          return undefined;
        });
  await buildDist();
  const dir = mkdtempSync(join(tmpdir(), "incident-assistant-shared-"));
  provide("sharedReplayDir", dir);
  provide("postgresUrl", process.env.TEST_POSTGRES_URL ?? (await cluster)?.url ?? "");
  return async () => {
    rmSync(dir, { recursive: true, force: true });
    (await cluster)?.stop();
  };
}
