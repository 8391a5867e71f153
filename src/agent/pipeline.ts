import { randomUUID } from "node:crypto";
import { context, SpanStatusCode, type Context } from "@opentelemetry/api";
import { setSession, setUser } from "@arizeai/openinference-core";
import {
  MimeType,
  OpenInferenceSpanKind,
  SemanticConventions as SC,
} from "@arizeai/openinference-semantic-conventions";
import type { Config, ServiceUrls } from "../shared/config.ts";
import { inSpan } from "../instrumentation/tracing.ts";
import { ATTR, GEN_AI } from "../contracts/semconv.ts";
import { requestDuration } from "../instrumentation/metrics.ts";
import { log } from "../instrumentation/log.ts";
import { ChatModels } from "./chat-model.ts";
import { route, type Classification, type RouteDecision } from "./router.ts";
import { IndexSnapshot, loadCorpus, retrieve, type RetrievedDocument } from "./retriever.ts";
import { lookupDevice } from "./tools/mdm-lookup-device.ts";
import { revokeSessions } from "./tools/revoke-sessions.ts";
import type { ServiceEndpoint, ToolResult } from "./tools/http-tool.ts";
import { synthesize, type Answer } from "./synthesizer.ts";
import { ROUTER_PROMPT } from "./prompts/router.ts";

/** Everything a request needs that outlives it: configuration, clients, the runbook index. */
export interface Assistant {
  config: Config;
  models: ChatModels;
  index: IndexSnapshot;
  mdm: ServiceEndpoint;
  sessions: ServiceEndpoint;
}

export function createAssistant(config: Config, urls: ServiceUrls): Assistant {
  const retry = { timeoutMs: config.toolTimeoutMs, maxRetries: config.toolMaxRetries };
  return {
    config,
    models: new ChatModels(urls.llm, config),
    index: new IndexSnapshot(loadCorpus(config.runbooksDir), config.runbookIndexAsOf),
    mdm: { baseUrl: urls.mdm, token: config.mdmApiToken, retry },
    sessions: { baseUrl: urls.sessions, token: config.sessionsApiToken, retry },
  };
}

export interface IncidentQuestion {
  question: string;
  analyst?: string | undefined;
  sessionId?: string | undefined;
}

export interface IncidentAnswer {
  traceId: string;
  requestId: string;
  answer: Answer;
  route: RouteDecision["route"];
  model: string;
  classification: Classification;
  documents: RetrievedDocument[];
  toolResults: ToolResult[];
  costUsd: number;
  latencyMs: number;
}

/**
 * One question, one trace:
 *   route -> retrieve -> act (mdm_lookup_device, revoke_sessions) -> synthesize
 * `parent` carries the caller's traceparent, when there is one.
 */
export function answerIncident(
  assistant: Assistant,
  input: IncidentQuestion,
  parent: Context = context.active(),
): Promise<IncidentAnswer> {
  const { config } = assistant;
  const requestId = randomUUID();
  const sessionId = input.sessionId ?? requestId;
  let requestContext = setSession(parent, { sessionId });
  if (input.analyst) requestContext = setUser(requestContext, { userId: input.analyst });

  return context.with(requestContext, () =>
    inSpan(
      "answer_incident",
      {
        kind: OpenInferenceSpanKind.AGENT,
        attributes: {
          [SC.INPUT_VALUE]: input.question,
          [SC.INPUT_MIME_TYPE]: MimeType.TEXT,
          [ATTR.requestId]: requestId,
          [ATTR.routerPromptVersion]: ROUTER_PROMPT.version,
          [ATTR.synthesizerPromptVersion]: `synthesizer-${config.synthesizerPrompt}`,
          [ATTR.routingPolicy]: config.routingPolicy,
          ...(config.experimentId && {
            [ATTR.experimentId]: config.experimentId,
            [ATTR.experimentArm]: config.experimentArm,
          }),
          [GEN_AI.operationName]: "invoke_agent",
          [GEN_AI.agentName]: "incident-assistant",
          [GEN_AI.conversationId]: sessionId,
        },
      },
      async (span) => {
        const started = performance.now();
        const decision = await route(input.question, assistant.models, config);
        const { classification } = decision;
        const documents = await retrieve(
          input.question,
          classification.category,
          assistant.index,
          config.retrieverTopK,
        );
        const toolResults = await act(classification, requestId, assistant);
        const synthesis = await synthesize(
          {
            question: input.question,
            classification,
            documents,
            toolResults,
            model: decision.model,
            promptVersion: config.synthesizerPrompt,
          },
          assistant.models,
        );
        const latencyMs = performance.now() - started;
        span.setAttributes({
          [ATTR.category]: classification.category,
          [ATTR.severity]: classification.severity,
          [ATTR.routeName]: decision.route,
          [ATTR.routeModel]: decision.model,
          [SC.OUTPUT_VALUE]: JSON.stringify(synthesis.answer),
          [SC.OUTPUT_MIME_TYPE]: MimeType.JSON,
        });
        // The request was answered: OK, so trace lists (Phoenix's too) show a status. A throw ends it ERROR.
        span.setStatus({ code: SpanStatusCode.OK });
        requestDuration.record(latencyMs / 1000, { [ATTR.routeName]: decision.route });
        log.info(
          {
            category: classification.category,
            route: decision.route,
            model: decision.model,
            latency_ms: Math.round(latencyMs),
          },
          "incident answered",
        );
        return {
          traceId: span.spanContext().traceId,
          requestId,
          answer: synthesis.answer,
          route: decision.route,
          model: decision.model,
          classification,
          documents,
          toolResults,
          costUsd: decision.costUsd + synthesis.costUsd,
          latencyMs,
        };
      },
    ),
  );
}

/** Stage 3: the tools the incident calls for, in runbook order: look up the device, then revoke its owner's sessions. */
async function act(
  classification: Classification,
  requestId: string,
  assistant: Assistant,
): Promise<ToolResult[]> {
  const actions = new Set(classification.requested_actions);
  const results: ToolResult[] = [];
  let owner = classification.employee_ids[0];
  const asset = classification.asset_tags[0];
  if (actions.has("lookup_device") && asset) {
    const device = await lookupDevice(asset, assistant.mdm);
    results.push(device);
    if (!owner && typeof device.data?.owner === "string") owner = device.data.owner;
  }
  if (actions.has("revoke_sessions") && owner) {
    results.push(await revokeSessions(owner, `incident request ${requestId}`, assistant.sessions));
  }
  return results;
}
