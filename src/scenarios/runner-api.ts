import { randomBytes } from "node:crypto";
import { context } from "@opentelemetry/api";
import { suppressTracing } from "@opentelemetry/core";
import type { Config } from "../shared/config.ts";
import { createAssistant } from "../agent/pipeline.ts";
import type { Answer } from "../agent/synthesizer.ts";
import { createApi, listenApi } from "../api/server.ts";
import type { RunningServices } from "../services/start-services.ts";
import type { TraceStore } from "../store/trace-store.ts";

/**
 * The API a runner (scenario replay, experiment) asks through: the real assistant behind the real
 * HTTP API, configured as the scenario or arm says, on a free port of its own.
 */
export interface RunnerApi {
  url: string;
  config: Config;
  ask(request: { question: string; analyst?: string | undefined; sessionId: string }): Promise<{
    trace_id: string;
    answer: Answer;
  }>;
  close(): Promise<void>;
}

export async function startRunnerApi(
  config: Config,
  services: RunningServices,
  store: TraceStore,
): Promise<RunnerApi> {
  // It takes the configured tokens and one of the runner's, so it works whether or not API_TOKENS is set.
  const runnerToken = randomBytes(24).toString("hex");
  const apiConfig: Config = {
    ...config,
    apiTokens:
      config.apiTokens.size > 0 ? new Map([...config.apiTokens, [runnerToken, "analyst"]]) : config.apiTokens,
  };
  const { server, url } = await listenApi(
    createApi(createAssistant(apiConfig, services.urls), store),
    0,
    "127.0.0.1",
  );
  return {
    url,
    config: apiConfig,
    async ask({ question, analyst, sessionId }) {
      const response = await fetchUntraced(`${url}/v1/incidents/ask`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${runnerToken}` },
        body: JSON.stringify({ question, session_id: sessionId, ...(analyst && { analyst }) }),
      });
      const body = (await response.json()) as { trace_id: string; answer: Answer; error?: unknown };
      if (!response.ok)
        throw new Error(`the assistant answered ${response.status}: ${JSON.stringify(body.error)}`);
      return body;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The mock services that take a world section, by section name. */
export const worldServices = (services: RunningServices) =>
  ({ mdm: services.urls.mdm, sessions: services.urls.sessions }) as const;

/**
 * Sets a mock service's world (`path` `/admin/world`), or one entity's (`/admin/worlds/<entity>`);
 * loading a world also resets the state that goes with it.
 */
export async function putWorld(baseUrl: string, path: string, section: unknown): Promise<void> {
  const response = await fetchUntraced(`${baseUrl}${path}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(section ?? {}),
  });
  if (!response.ok)
    throw new Error(`${baseUrl}${path} refused the world: ${response.status} ${await response.text()}`);
}

/** The runner is the analyst, not part of the system under observation: its own calls stay out of the trace. */
export function fetchUntraced(url: string, init?: RequestInit): Promise<Response> {
  return context.with(suppressTracing(context.active()), () => fetch(url, init));
}
