import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * What the rest of the process may ask of the telemetry set up by `register.ts`: flush, shut down,
 * serve Prometheus metrics, or read them as text. Without telemetry loaded (unit tests,
 * OTEL_SDK_DISABLED) these do nothing.
 */
export interface TelemetryHandle {
  flush(): Promise<void>;
  shutdown(): Promise<void>;
  serveMetrics(request: IncomingMessage, response: ServerResponse): void;
  metricsText(): Promise<string>;
}

let installed: TelemetryHandle | undefined;

export function installTelemetryHandle(handle: TelemetryHandle) {
  installed = handle;
}

export async function flushTelemetry(): Promise<void> {
  await installed?.flush();
}

export async function shutdownTelemetry(): Promise<void> {
  await installed?.shutdown();
}

export function serveMetrics(request: IncomingMessage, response: ServerResponse) {
  if (installed) return installed.serveMetrics(request, response);
  response.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end("# telemetry disabled\n");
}

/** The Prometheus text `/metrics` serves, for pages of this process that show it (the monitoring page). */
export async function metricsText(): Promise<string> {
  return installed ? installed.metricsText() : "";
}
