import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * The worker's code: plain CommonJS, so it starts in milliseconds without the TypeScript loader.
 * PASSIVE checkpoints never block the writers; they copy what no reader still needs.
 */
const CHECKPOINT_WORKER = `
  const { parentPort, workerData } = require("node:worker_threads");
  const Database = require(workerData.driver);
  const db = new Database(workerData.path, { fileMustExist: true });
  db.pragma("busy_timeout = 5000");
  const checkpoint = () => db.pragma("wal_checkpoint(PASSIVE)");
  const timer = setInterval(checkpoint, workerData.intervalMs);
  parentPort.once("message", () => {
    clearInterval(timer);
    checkpoint();
    db.close();
    parentPort.close();
  });
`;

interface Checkpointer {
  /** Runs a last checkpoint and stops the worker. */
  stop(): Promise<void>;
}

/**
 * Checkpoints a WAL database from a worker thread, so that a writer on the main thread can turn
 * SQLite's automatic checkpoints off: each one copies the WAL into the database file and fsyncs
 * it inside the committing transaction, a stall of about 10 ms every 4 MB written.
 */
export function startCheckpointer(path: string, intervalMs = 1_000): Checkpointer {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(CHECKPOINT_WORKER, { eval: true, workerData: { path, driver, intervalMs } });
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  // The store stays usable without it; its WAL just grows until a connection with automatic checkpoints writes.
  worker.on("error", (error) => process.emitWarning(`WAL checkpoints stopped for ${path}: ${error.message}`));
  return {
    async stop() {
      worker.ref(); // the wait for its exit must keep the process alive
      worker.postMessage("stop");
      await exited;
    },
  };
}

const shared = new Map<string, { checkpointer: Checkpointer; users: number }>();

/**
 * One checkpointer per database file in this process, however many connections rely on it.
 * Returns the release: the last one stops the worker.
 */
export function shareCheckpointer(path: string): () => void {
  const entry = shared.get(path) ?? { checkpointer: startCheckpointer(path), users: 0 };
  entry.users += 1;
  shared.set(path, entry);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    entry.users -= 1;
    if (entry.users > 0) return;
    shared.delete(path);
    void entry.checkpointer.stop();
  };
}
