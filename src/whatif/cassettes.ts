import express, { type ErrorRequestHandler, type Request, type Response } from "express";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { propagation, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { fetchUntraced, putWorld } from "../scenarios/runner-api.ts";
import type { RecordedAttempt, RecordedModelCall, RecordedToolCall, Recording } from "./recording.ts";

/** How the replay serves one tool: as recorded, as recorded but fresh (as of now), or live in a healthy world. */
export type ToolMode = "recorded" | "fresh" | "live";

export interface CassettePlan {
  recording: Recording;
  /** The synthesizer's reply: the recorded one (nothing it reads changed), or the model's, live. */
  synthesizer: "recorded" | "live";
  tools: Partial<Record<string, ToolMode>>;
  /** Where live calls go: the model endpoint (…/v1) and the tool services. */
  live: { llm: string; mdm: string; sessions: string };
}

/** Which tool a request path calls, and the entity it is about. */
export const TOOL_ROUTES = [
  { tool: "mdm_lookup_device", service: "mdm", pattern: /^\/v1\/devices\/([^/]+)$/ },
  { tool: "revoke_sessions", service: "sessions", pattern: /^\/v1\/employees\/([^/]+)\/sessions\/revoke$/ },
] as const;

/** An assistant's call the cassette passed on to a live service: its CLIENT span, and where it went. */
export interface RelayedCall {
  callId: string;
  url: string;
}

export interface Cassette {
  url: string;
  /** The calls passed on live so far: a SERVER span of the service comes beneath each. */
  relayed(): RelayedCall[];
  close(): Promise<void>;
}

/** A tool answer held back past the client's timeout: the replay of an attempt that never answered. */
const NEVER_MS = 120_000;

/**
 * One local HTTP server that plays back a recorded trace, like a VCR cassette: it answers the
 * assistant's model calls (OpenAI Chat Completions) and tool calls (the MDM and sessions APIs) with
 * what the trace recorded, except what the plan changes, which it forwards to the live services. The
 * assistant runs unmodified, pointed at it by configuration.
 */
export async function startCassette(plan: CassettePlan): Promise<Cassette> {
  const queues = new Map<string, { call: RecordedToolCall; attempts: RecordedAttempt[] }[]>();
  for (const call of plan.recording.toolCalls) {
    queues.set(call.tool, [...(queues.get(call.tool) ?? []), { call, attempts: [...call.attempts] }]);
  }
  const pending = new Set<NodeJS.Timeout>();
  const relayed: RelayedCall[] = [];
  const relay = (req: Request, res: Response, url: string) => {
    const callId = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, req.headers))?.spanId;
    if (callId) relayed.push({ callId, url });
    return forward(req, res, url);
  };
  const app = express();
  app.disable("x-powered-by");
  app.use(express.json({ limit: "1mb" }));

  app.post("/v1/chat/completions", async (req, res) => {
    const body = req.body as { model?: string; tools?: { function?: { name?: string } }[] };
    const isRouter = body.tools?.some((tool) => tool.function?.name === "classify_incident") ?? false;
    if (isRouter) return res.json(completion(plan.recording.router, body.model));
    if (plan.synthesizer === "live") return relay(req, res, `${plan.live.llm}/chat/completions`);
    const callIds = mapCallIds(plan.recording, JSON.stringify(req.body));
    res.json(
      completion(
        { ...plan.recording.synthesizer, content: callIds(plan.recording.synthesizer.content) },
        body.model,
      ),
    );
  });

  app.use("/v1", async (req, res) => {
    const path = `/v1${req.path}`;
    const matched = TOOL_ROUTES.find((candidate) => candidate.pattern.test(path));
    if (!matched)
      return res.status(404).json({ error: "not_recorded", message: `no recorded call to ${path}` });
    const mode = plan.tools[matched.tool] ?? "recorded";
    if (mode === "live") {
      const entity = decodeURIComponent(matched.pattern.exec(path)?.[1] ?? "");
      const service = plan.live[matched.service];
      return inHealthyWorld(service, entity, () => relay(req, res, `${service}${path}`));
    }
    const recorded = queues.get(matched.tool)?.[0];
    if (!recorded)
      return res
        .status(404)
        .json({ error: "not_recorded", message: `no recorded ${matched.tool} call left` });
    const attempt = recorded.attempts.shift() ?? { status: 200 };
    const last = recorded.attempts.length === 0;
    if (last) queues.get(matched.tool)?.shift();
    if ("failure" in attempt) {
      if (attempt.failure === "connection_error") return req.socket.destroy();
      const timer = setTimeout(() => res.destroy(), NEVER_MS);
      pending.add(timer);
      res.once("close", () => clearTimeout(timer));
      return;
    }
    const answer = last
      ? recorded.call.body
      : { error: "replayed_failure", message: "a failed attempt, replayed" };
    res.status(attempt.status).json(mode === "fresh" && last ? asOfNow(answer) : answer);
  });

  // A live call that failed (the service down, a world refused) reaches the assistant as a gateway error.
  const gatewayError: ErrorRequestHandler = (error, _req, res, _next) => {
    res
      .status(502)
      .json({ error: "replay_live_call_failed", message: error instanceof Error ? error.message : "failed" });
  };
  app.use(gatewayError);

  const server: Server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    relayed: () => [...relayed],
    close: () =>
      new Promise((resolve) => {
        for (const timer of pending) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A Chat Completions answer with the recorded reply and token counts (so cost is as recorded). */
function completion(call: RecordedModelCall, model: string | undefined) {
  const toolCalls = call.toolCalls.map((toolCall, index) => ({
    id: `call_replay_${index}`,
    type: "function",
    function: { name: toolCall.name, arguments: toolCall.arguments },
  }));
  return {
    id: `chatcmpl-replay-${Date.now().toString(36)}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: model ?? call.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: call.content,
          ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
        },
        finish_reason: toolCalls.length > 0 ? "tool_calls" : "stop",
        logprobs: null,
      },
    ],
    usage: {
      prompt_tokens: call.promptTokens,
      completion_tokens: call.completionTokens,
      total_tokens: call.promptTokens + call.completionTokens,
    },
  };
}

/**
 * The replay's tool calls have ids of their own. The recorded answer cites the recorded ids; in the
 * order the prompt lists the tool results, each recorded id becomes the replay's.
 */
function mapCallIds(recording: Recording, prompt: string): (text: string) => string {
  const replayIds = [...new Set(prompt.match(/tool:call_[0-9a-f]+/g) ?? [])];
  const pairs = recording.toolCalls.map((call, index) => [`tool:${call.callId}`, replayIds[index]] as const);
  return (text) =>
    pairs.reduce(
      (result, [recorded, replayed]) => (replayed ? result.replaceAll(recorded, replayed) : result),
      text,
    );
}

/** The recorded answer as if the data were fresh: its `as_of` is now. */
function asOfNow(body: unknown): unknown {
  if (typeof body !== "object" || body === null || !("as_of" in body)) return body;
  return { ...body, as_of: new Date().toISOString() };
}

/**
 * Runs `call` with `entity`'s world on a mock service made healthy: its own world (an experiment's
 * ticket) or the service's, without faults and with every scope. The entity's world is put back after.
 */
async function inHealthyWorld(service: string, entity: string, call: () => Promise<void>) {
  const path = `/admin/worlds/${encodeURIComponent(entity)}`;
  const current = await fetchUntraced(`${service}${path}`);
  const own = current.ok ? ((await current.json()) as Record<string, unknown>) : undefined;
  await putWorld(
    service,
    path,
    own ? asWorldSection({ ...own, faults: undefined, service_account_scopes: undefined }) : {},
  );
  try {
    await call();
  } finally {
    if (own) await putWorld(service, path, asWorldSection(own));
    else await fetchUntraced(`${service}${path}`, { method: "DELETE" });
  }
}

/** A world as a service reads it back, in the form it takes: durations as text. */
function asWorldSection(world: Record<string, unknown>): Record<string, unknown> {
  const section = Object.fromEntries(Object.entries(world).filter(([, value]) => value !== undefined));
  if (typeof section.sync_lag === "number") section.sync_lag = `${section.sync_lag}ms`;
  return section;
}

/** Sends the request on unchanged, its trace context included, and the answer back. */
async function forward(req: Request, res: Response, url: string) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  for (const name of ["authorization", "traceparent", "tracestate"]) {
    const value = req.get(name);
    if (value) headers[name] = value;
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const response = await fetchUntraced(url, {
    method: req.method,
    headers,
    ...(hasBody && { body: JSON.stringify(req.body ?? {}) }),
  });
  res.status(response.status).type(response.headers.get("content-type") ?? "application/json");
  res.send(Buffer.from(await response.arrayBuffer()));
}
