/**
 * A throwaway PostgreSQL cluster for the tests and the bench: initdb into a temporary directory,
 * a free port on loopback only, trust authentication, removed on stop. Run alone, it starts one and
 * prints its URL until Ctrl-C: `node --import tsx scripts/postgres-cluster.ts`.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";

export interface PostgresCluster {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres`: a superuser, who may create databases. */
  url: string;
  stop(): void;
}

/** Debian puts the server's programs beside its version; a source build puts them on the PATH. */
function postgresBin(): string | undefined {
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const newest = readdirSync(debian)
      .filter((version) => existsSync(join(debian, version, "bin", "initdb")))
      .sort((a, b) => Number(b) - Number(a))[0];
    if (newest) return join(debian, newest, "bin");
  }
  const found = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" }).stdout.trim();
  return found ? join(found, "..") : undefined;
}

export const postgresAvailable = (): boolean => postgresBin() !== undefined;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = postgresBin();
  if (!bin) throw new Error("PostgreSQL is not installed (Debian: apt-get install postgresql)");
  const dir = mkdtempSync(join(tmpdir(), "incident-assistant-pg-"));
  // The server refuses to run as root: root runs it as Debian's `postgres` user.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chmodSync(dir, 0o777);
  const command = (program: string, args: string[]): [string, string[]] =>
    asRoot ? ["runuser", ["-u", "postgres", "--", join(bin, program), ...args]] : [join(bin, program), args];
  const run = (program: string, args: string[]) =>
    // As `postgres`, the programs change back to the current directory: it must be one they may enter.
    execFileSync(...command(program, args), { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  const data = join(dir, "data");
  const port = await freePort();
  // Over TCP a password is asked for, as a real server would: credentials must reach every process.
  run("initdb", [
    "-D",
    data,
    "-U",
    "postgres",
    "--auth-local=trust",
    "--auth-host=scram-sha-256",
    "--no-sync",
    "-E",
    "UTF8",
  ]);
  run("pg_ctl", [
    "start",
    "-D",
    data,
    "-w",
    "-l",
    join(dir, "server.log"),
    "-o",
    `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=200`,
  ]);
  const stopArgs = ["stop", "-D", data, "-m", "immediate", "-w"];
  const watchdog = stopWhenGone(process.pid, command("pg_ctl", stopArgs), dir);
  const stop = () => {
    // SIGKILL: the watchdog ignores the signals that end a process tree.
    watchdog.kill("SIGKILL");
    try {
      run("pg_ctl", stopArgs);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const password = randomBytes(12).toString("hex");
  try {
    const local = new pg.Client({ host: dir, port, user: "postgres", database: "postgres" });
    await local.connect();
    await local.query(`ALTER USER postgres PASSWORD '${password}'`);
    await local.end();
  } catch (error) {
    stop();
    throw error;
  }
  return { url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`, stop };
}

/**
 * The server is a daemon: a process that started it and died without stopping it (killed, or a test
 * run whose output pipe closed) would leave it running. A detached shell stops it, and removes its
 * directory, once that process is gone. It ignores the signals that end a process tree: `run-p`, when
 * one of `npm test`'s tasks fails, sends SIGTERM to every descendant of the others, and a server
 * survived a watchdog killed in the middle of stopping it.
 */
function stopWhenGone(pid: number, [program, args]: [string, string[]], dir: string) {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const script = [
    "trap '' HUP INT TERM",
    `while kill -0 ${pid} 2>/dev/null; do sleep 1; done`,
    `cd ${quote(dir)} && ${[program, ...args].map(quote).join(" ")} >/dev/null 2>&1`,
    `rm -rf ${quote(dir)}`,
  ].join("; ");
  const watchdog = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
  watchdog.unref();
  return watchdog;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const cluster = await startPostgresCluster();
  console.log(cluster.url);
  const stop = () => {
    cluster.stop();
    process.exit(0);
  };
  // SIGHUP too: a terminal that closes would otherwise leave the server running, orphaned.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, stop);
  setInterval(() => {}, 1 << 30);
}
