/**
 * How long `serve` takes from spawn to "listening on" (the API up, the mock services and the
 * simulated model answering), run from dist/ as `npm start` does and from the sources through tsx,
 * alternately, in one run: the ratio is what to read on a shared machine.
 *
 *   npm run bench:startup [-- <runs>]
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { buildDist } from "../build.ts";
import { median, significant } from "./stats.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const FORMS = {
  dist: ["--import", "./dist/src/telemetry/register.js", "dist/src/cli.js", "serve"],
  tsx: ["--import", "tsx", "--import", "./src/telemetry/register.ts", "src/cli.ts", "serve"],
};

/** Seconds from spawn to the "listening on" line; the whole process group is stopped after. */
async function timeServe(args: string[]): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "startup-"));
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, TRACE_STORE: join(dir, "traces.db"), PORT: "0", LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`serve exited with ${code} before it listened`)));
      createInterface({ input: child.stdout }).on("line", (line) => {
        if (line.startsWith("listening on")) resolve((performance.now() - started) / 1000);
      });
    });
  } finally {
    const exited = child.exitCode === null && child.signalCode === null ? once(child, "exit") : undefined;
    try {
      process.kill(-(child.pid as number), "SIGTERM"); // serve and the services it started
    } catch {
      // Nothing of the group is left: serve exited before it listened, and its services with it.
    }
    await exited;
    rmSync(dir, { recursive: true, force: true });
    // The services' own shutdown (their last span exports) must not weigh on the next run.
    await sleep(1_000);
  }
}

const runs = Number(process.argv[2] ?? 5);
await buildDist();
const seconds: Record<keyof typeof FORMS, number[]> = { dist: [], tsx: [] };
for (let run = 0; run < runs; run++) {
  for (const form of ["dist", "tsx"] as const) seconds[form].push(await timeServe(FORMS[form]));
}
const dist = significant(median(seconds.dist), 3);
const tsx = significant(median(seconds.tsx), 3);
console.log(JSON.stringify({ runs, serve_ready_s: { dist, tsx }, ratio: significant(dist / tsx, 3) }));
