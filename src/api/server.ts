import express, { type Express } from "express";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { APIConnectionError, APIError } from "openai";
import { propagation, ROOT_CONTEXT } from "@opentelemetry/api";
import { z } from "zod";
import { analystSchema, questionSchema } from "../contracts/question.ts";
import { answerIncident, type Assistant } from "../agent/pipeline.ts";
import { ModelOutputError } from "../agent/router.ts";
import { recordFeedback } from "../lifecycle/feedback.ts";
import type { TraceStore } from "../store/trace-store.ts";
import { metricsText, serveMetrics } from "../telemetry/handle.ts";
import { traceView } from "../lifecycle/trace-view.ts";
import { ApiError, errorHandler, notFound, parseInput } from "./errors.ts";
import { createOtlpReceiver } from "./otlp-receiver.ts";
import { authenticate, requireRole, separateIngest } from "./auth.ts";
import { enforceRetentionPolicy } from "../lifecycle/retention.ts";
import { governanceFor } from "../governance/runtime.ts";
import { FEEDBACK_OUTCOMES, TRACE_ID_PATTERN } from "../contracts/vocabulary.ts";
import { BearerTokens } from "../shared/bearer-tokens.ts";
import { isPostgresUrl, redactedUrl } from "../shared/postgres.ts";
import { createViewer } from "../viewer/index.ts";
import type { WhatIfService } from "../viewer/what-if-page.ts";
import { answerPromptly } from "../shared/thread-priority.ts";
import {
  isNamedQuery,
  listTraces,
  NAMED_QUERIES,
  namedQueryOptionsSchema,
  traceFiltersSchema,
} from "../store/queries.ts";

const askSchema = z.strictObject({
  question: questionSchema,
  analyst: analystSchema.optional(),
  session_id: z.string().min(1).max(128).optional(),
});

const feedbackSchema = z.strictObject({
  trace_id: z.string().regex(TRACE_ID_PATTERN, { error: "expected a 32-character lowercase hex trace id" }),
  outcome: z.enum(FEEDBACK_OUTCOMES),
  comment: z.string().max(2_000).optional(),
});

export interface ApiOptions {
  /** Called with each answered trace id, e.g. to diagnose the trace once all its spans have arrived. */
  onAnswered?: (traceId: string) => void;
  /** Called with the traces of each OTLP request once its spans are stored. */
  onSpansReceived?: (traceIds: readonly string[]) => void;
  /** What-if replays for the viewer's reviewers, where this process can run them. */
  whatIf?: WhatIfService;
}

/** The assistant's HTTP API: ask, feedback, traces and queries, the OTLP receiver, health and metrics. */
export function createApi(assistant: Assistant, store: TraceStore, options: ApiOptions = {}): Express {
  const governance = governanceFor(assistant.config);
  const tokens = new BearerTokens(assistant.config.apiTokens);
  const app = express();
  app.disable("x-powered-by");
  app.use("/v1", authenticate(tokens), separateIngest);
  // OTLP/HTTP receiver before the JSON parser: it reads its own (protobuf or JSON, maybe gzipped) bodies.
  app.use(createOtlpReceiver(store, assistant.config, { onStored: options.onSpansReceived }).router);
  app.use(express.json({ limit: "64kb" }));

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/metrics", (req, res) => serveMetrics(req, res));

  app.post("/v1/incidents/ask", async (req, res) => {
    const body = parseInput(askSchema, req.body);
    const callerContext = propagation.extract(ROOT_CONTEXT, req.headers);
    try {
      const result = await answerIncident(
        assistant,
        { question: body.question, analyst: body.analyst, sessionId: body.session_id },
        callerContext,
      );
      options.onAnswered?.(result.traceId);
      res.json({
        trace_id: result.traceId,
        // The analyst sees names (they asked about them), never a secret that came back from a tool.
        answer: governance.withoutSecrets(result.answer),
        route: result.route,
        model: result.model,
        latency_ms: Math.round(result.latencyMs),
        cost_usd: result.costUsd,
      });
    } catch (error) {
      throw upstreamError(error);
    }
  });

  app.post("/v1/feedback", async (req, res) => {
    const body = parseInput(feedbackSchema, req.body);
    if (!(await store.hasTrace(body.trace_id)))
      throw new ApiError(404, "trace_not_found", `no trace ${body.trace_id}`, "trace_id");
    await recordFeedback(store, governance, {
      traceId: body.trace_id,
      outcome: body.outcome,
      comment: body.comment ?? null,
    });
    res.status(202).json({ trace_id: body.trace_id, outcome: body.outcome });
  });

  app.get("/v1/traces", async (req, res) => {
    res.json(await listTraces(store, parseInput(traceFiltersSchema, req.query)));
  });

  app.get("/v1/queries/:name", async (req, res) => {
    const name = req.params.name;
    if (!isNamedQuery(name)) {
      const known = Object.keys(NAMED_QUERIES).join(", ");
      throw new ApiError(404, "unknown_query", `no named query ${name}; known: ${known}`, "name");
    }
    const options = parseInput(namedQueryOptionsSchema, req.query);
    res.json({ query: name, limit: options.limit, rows: await NAMED_QUERIES[name](store, options) });
  });

  app.get("/v1/traces/:id/payloads", requireRole("reviewer"), async (req, res) => {
    const traceId = traceIdParameter(String(req.params.id));
    const payloads = await governance.restricted.read(traceId, req.caller ?? "unknown");
    if (payloads.length === 0) {
      throw new ApiError(
        404,
        "no_restricted_payloads",
        `the restricted tier holds no payloads of trace ${traceId}`,
        "id",
      );
    }
    res.json({ trace_id: traceId, payloads });
  });

  app.get("/v1/admin/config", requireRole("admin"), (_req, res) => {
    res.json({ config: governance.withoutSecrets(publicConfig(assistant.config)) });
  });

  app.get("/v1/admin/audit", requireRole("admin"), async (_req, res) => {
    res.json({ entries: await governance.restricted.auditLog() });
  });

  app.post("/v1/admin/retention", requireRole("admin"), async (_req, res) => {
    const deleted = await enforceRetentionPolicy(store, governance, assistant.config);
    res.json({
      deleted: deleted.traces,
      retention_ms: assistant.config.traceRetention,
      restricted_payloads_deleted: deleted.restrictedPayloads,
    });
  });

  app.get("/v1/traces/:id", async (req, res) => {
    const traceId = traceIdParameter(req.params.id);
    const view = await traceView(store, traceId);
    if (!view) throw new ApiError(404, "trace_not_found", `no trace ${traceId}`, "id");
    res.json(view);
  });

  app.use(
    createViewer(store, {
      postFeedback: (traceId, outcome, comment) =>
        recordFeedback(store, governance, { traceId, outcome, comment }),
      restrictedPayloads: async (traceId, reader) => {
        if (!(await governance.restricted.has(traceId))) return undefined;
        const payloads = await governance.restricted.read(traceId, `trace-viewer:${reader.role}`);
        return Object.fromEntries(payloads.map((payload) => [payload.spanId, payload.attributes]));
      },
      tokens,
      metrics: metricsText,
      ...(options.whatIf && { whatIf: options.whatIf }),
    }),
  );
  app.use(notFound);
  app.use(errorHandler);
  return app;
}

/** The configuration as an admin may read it: credentials shown only as set or not. */
function publicConfig(config: Assistant["config"]) {
  const credentials = new Set([
    "openaiApiKey",
    "mdmApiToken",
    "sessionsApiToken",
    "pseudonymizationKey",
    "restrictedStoreKey",
  ]);
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => {
      if (credentials.has(key)) return [key, value ? "(set)" : "(not set)"];
      if (value instanceof Map) return [key, [...value.values()].map((role) => `${role}:(set)`)];
      if (typeof value === "string" && isPostgresUrl(value)) return [key, redactedUrl(value)];
      return [key, value];
    }),
  );
}

function traceIdParameter(value: string): string {
  if (!TRACE_ID_PATTERN.test(value)) {
    throw new ApiError(400, "invalid_request", "expected a 32-character lowercase hex trace id", "id");
  }
  return value;
}

/** A model or tool service that failed us is a 502/503 to our caller, never a bare 500. */
function upstreamError(error: unknown): unknown {
  if (error instanceof ModelOutputError) return new ApiError(502, "model_output_invalid", error.message);
  if (error instanceof APIConnectionError)
    return new ApiError(503, "model_unavailable", "the model server is unreachable");
  if (error instanceof APIError)
    return new ApiError(502, "model_error", `the model server answered ${error.status}`);
  return error;
}

export async function listenApi(
  app: Express,
  port: number,
  host: string,
): Promise<{ server: Server; url: string }> {
  // This thread answers requests: it takes a core the moment it wakes, from the ingest threads too.
  answerPromptly();
  const server = app.listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port: bound } = server.address() as AddressInfo;
  return { server, url: `http://${host}:${bound}` };
}
