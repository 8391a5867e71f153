import type { SpanRecord } from "../../src/store/trace-store.ts";
import { exceptionEvent, SCOPES, type Service, type TraceWriter } from "./trace-writer.ts";

export interface HttpHop {
  method: "GET" | "POST";
  service: Exclude<Service, "incident-assistant">;
  path: string;
  /** The route that matched, which names the SERVER span; absent when a fault answered first. */
  route?: string;
  durationMs: number;
  /** Absent when the client gave up before any answer (a timeout). */
  status?: number;
  serverAttributes?: Record<string, unknown>;
}

const PORTS: Record<HttpHop["service"], number> = { llm: 8300, mdm: 8301, sessions: 8302 };
const TIMEOUT_MESSAGE = "The operation was aborted due to timeout";

/**
 * One HTTP attempt, as two processes record it: the undici CLIENT span under `parent` and the
 * service's SERVER span under that. Starts just after `startMs`; returns when the client span ends.
 */
export function addHttpHop(writer: TraceWriter, parent: SpanRecord, startMs: number, hop: HttpHop): number {
  const start = startMs + 0.2;
  const end = start + hop.durationMs;
  const timedOut = hop.status === undefined;
  const failed = timedOut || (hop.status ?? 0) >= 400;
  const port = PORTS[hop.service];
  const client = writer.add({
    name: hop.method,
    parent,
    spanKind: "CLIENT",
    startMs: start,
    endMs: end,
    scope: SCOPES.undici,
    statusCode: failed ? "ERROR" : "UNSET",
    ...(timedOut && { statusMessage: TIMEOUT_MESSAGE }),
    attributes: {
      "http.request.method": hop.method,
      "http.request.method_original": hop.method,
      "url.full": `http://127.0.0.1:${port}${hop.path}`,
      "url.path": hop.path,
      "url.query": "",
      "url.scheme": "http",
      "server.address": "127.0.0.1",
      "server.port": port,
      "user_agent.original": hop.service === "llm" ? "OpenAI/JS 6.49.0" : "node",
      "network.peer.address": "127.0.0.1",
      "network.peer.port": port,
      "network.protocol.version": "1.1",
      ...(!timedOut && { "http.response.status_code": hop.status }),
      // undici reports an aborted request with its error code (23, ABORT_ERR) as the error type.
      ...(failed && { "error.type": timedOut ? "23" : String(hop.status) }),
    },
  });
  if (timedOut) client.events.push(exceptionEvent(client.endNs, "23", TIMEOUT_MESSAGE));
  const serverFailed = !timedOut && (hop.status ?? 0) >= 500;
  writer.add({
    name: hop.route ? `${hop.method} ${hop.route}` : hop.method,
    parent: client,
    service: hop.service,
    spanKind: "SERVER",
    startMs: start + 0.4,
    // A timed-out request is still being served when the client hangs up.
    endMs: timedOut ? end + 1 : end - 0.3,
    scope: SCOPES.mock,
    statusCode: serverFailed ? "ERROR" : "UNSET",
    attributes: {
      "http.request.method": hop.method,
      "url.path": hop.path,
      "url.scheme": "http",
      ...hop.serverAttributes,
      ...(hop.route && { "http.route": hop.route }),
      ...(!timedOut && { "http.response.status_code": hop.status }),
      ...(serverFailed && { "error.type": String(hop.status) }),
    },
    events: timedOut ? [{ name: "client_disconnected", atMs: end }] : [],
  });
  return end;
}
