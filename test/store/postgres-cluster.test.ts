import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { postgresAvailable } from "../../scripts/postgres-cluster.ts";
import { loaderFlags } from "../../src/shared/module-form.ts";

const SCRIPT = new URL("../../scripts/postgres-cluster.ts", import.meta.url).pathname;

/** Processes whose parent is `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        // The parent is the fourth field, after the command in parentheses.
        return Number(readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]?.split(" ")[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}
const descendantsOf = (pid: number): number[] =>
  childrenOf(pid).flatMap((child) => [child, ...descendantsOf(child)]);

async function refusesConnections(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.end();
    return false;
  } catch {
    return true;
  }
}

describe("the throwaway PostgreSQL cluster", () => {
  it.skipIf(!postgresAvailable() || process.platform !== "linux")(
    "is stopped and removed when the process that started it dies and its process tree gets SIGTERM",
    async () => {
      const starter = spawn(process.execPath, [...loaderFlags(), SCRIPT], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      const [url] = (await once(createInterface({ input: starter.stdout }), "line")) as [string];
      const pid = starter.pid as number;
      const watchdogs = childrenOf(pid).filter((child) =>
        readFileSync(`/proc/${child}/cmdline`, "utf8").includes(`kill -0 ${pid}`),
      );
      expect(watchdogs).toHaveLength(1);
      const dir = /incident-assistant-pg-\w+/.exec(
        readFileSync(`/proc/${watchdogs[0]}/cmdline`, "utf8"),
      )?.[0];
      expect(dir).toBeDefined();
      expect(await refusesConnections(url)).toBe(false);

      // What `run-p` does to a task when another fails: SIGTERM to every descendant. The starter
      // itself dies without cleaning up.
      const tree = descendantsOf(pid);
      starter.kill("SIGKILL");
      for (const descendant of tree) {
        try {
          process.kill(descendant, "SIGTERM");
        } catch {
          // Gone already.
        }
      }

      // A minute, for a busy machine: the watchdog looks once a second, then stops the server.
      const deadline = Date.now() + 60_000;
      let stopped = false;
      while (!stopped && Date.now() < deadline) {
        stopped = (await refusesConnections(url)) && !existsSync(join(tmpdir(), dir as string));
        if (!stopped) await sleep(200);
      }
      expect(stopped, "the server still runs, or its directory is still there").toBe(true);
    },
  );
});
