import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Starts a TypeScript module in a worker thread with tsx's loader and nothing else: the process's
 * own --import flags (telemetry among them) belong to the main thread and would be inherited.
 */
export function startTypeScriptWorker(entry: URL, options: WorkerOptions = {}): Worker {
  const bootstrap = `
    const { register } = await import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))});
    register();
    await import(${JSON.stringify(entry.href)});
  `;
  return new Worker(bootstrap, { ...options, eval: true, execArgv: [] });
}
