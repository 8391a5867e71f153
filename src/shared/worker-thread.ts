import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Starts a module in a worker thread with nothing of the process's own --import flags (telemetry
 * among them), which belong to the main thread and would be inherited; a TypeScript module gets
 * tsx's loader, a compiled one none.
 */
export function startModuleWorker(entry: URL, options: WorkerOptions = {}): Worker {
  const loader = entry.pathname.endsWith(".ts")
    ? `const { register } = await import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}); register();`
    : "";
  const bootstrap = `${loader} await import(${JSON.stringify(entry.href)});`;
  return new Worker(bootstrap, { ...options, eval: true, execArgv: [] });
}
