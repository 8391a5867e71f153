import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";

export const ROOT = new URL("../../", import.meta.url).pathname;
/** The CLI as `npm run cli` runs it: compiled to dist/ (by test/global-setup.ts), telemetry preloaded. */
export const NODE_ARGS = ["--import", "./dist/src/telemetry/register.js", "dist/src/cli.js"];

export function tempStore(): { traceStore: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "incident-assistant-"));
  return { traceStore: join(dir, "traces.db"), dir };
}

/** A run's stores live together: the restricted tier beside the trace store, never in the repo's .data/. */
const withStores = (env: Record<string, string>) =>
  env.TRACE_STORE && !env.RESTRICTED_STORE
    ? { ...env, RESTRICTED_STORE: join(dirname(env.TRACE_STORE), "restricted.db") }
    : env;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment of every child: quiet logs, and no colour, which picocolors would turn on wherever
 * CI sets `CI` or `FORCE_COLOR` (NO_COLOR wins over both), so tests read the same output everywhere.
 */
const childEnv = (env: Record<string, string>): NodeJS.ProcessEnv => ({
  ...process.env,
  LOG_LEVEL: "warn",
  NO_COLOR: "1",
  ...withStores(env),
});

/** Runs the CLI the way `npm run cli` does and collects its output. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_ARGS, ...args], {
      cwd: ROOT,
      env: childEnv(env),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * Starts a long-running command in a process group of its own and resolves once a stdout line
 * matches `ready`; `stop` ends the whole group (npm, node, the mock services it started).
 */
export function startCli(
  command: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpMatchArray; output: () => string }> {
  const child = spawn(command[0] as string, command.slice(1), {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let output = "";
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after 60 s:\n${output}`)), 60_000);
    child.once("exit", (code) => reject(new Error(`exited with ${code} before it was ready:\n${output}`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      output += line + "\n";
      const match = line.match(ready);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match, output: () => output });
      }
    });
  });
}

const running = new Set<ChildProcess>();
// A test that fails or times out still leaves nothing running.
process.once("exit", () => {
  for (const child of running) killGroup(child, "SIGKILL");
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-(child.pid as number), signal);
  } catch {
    child.kill(signal); // the group is gone already
  }
}

/** Ends a process started by `startCli` and every process of its group; resolves once it has exited. */
export function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    killGroup(child, signal);
  });
}
