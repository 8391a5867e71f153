/**
 * Attribute names this project adds beside OpenInference (`@arizeai/openinference-semantic-conventions`)
 * and OpenTelemetry GenAI (`gen_ai.*`). docs/TELEMETRY.md documents each one;
 * the diagnosis reads traces through these names only.
 */
export const ATTR = {
  requestId: "incident.request_id",
  category: "incident.category",
  severity: "incident.severity",
  routerPromptVersion: "incident.config.router_prompt_version",
  synthesizerPromptVersion: "incident.config.synthesizer_prompt_version",
  routingPolicy: "incident.config.routing_policy",
  /** The experiment and arm a deployment takes part in (EXPERIMENT_ID, EXPERIMENT_ARM), when it does. */
  experimentId: "incident.experiment.id",
  experimentArm: "incident.experiment.arm",
  /** JSON `[{kind, evidence}]`: the answer's claims, as safe metadata the diagnosis checks. */
  answerClaims: "incident.answer.claims",
  /** JSON `[{kind, evidence}]`: the answer's caveats. */
  answerCaveats: "incident.answer.caveats",
  answerCitations: "incident.answer.citations",
  /** False when the model's output did not match the answer schema (no structured claims to check). */
  answerStructured: "incident.answer.structured",

  routeName: "route.name",
  routeModel: "route.model",
  routePolicy: "route.policy",
  routeReason: "route.reason",

  indexSnapshotId: "retrieval.index.snapshot_id",
  indexAsOf: "retrieval.index.as_of",

  toolArguments: "tool.arguments",
  toolHttpStatus: "tool.http_status",
  toolOutcome: "tool.outcome",
  toolRetries: "tool.retries",
  toolResultAsOf: "tool.result.as_of",
  toolResultAgeS: "tool.result.age_s",
  toolFreshnessBudgetS: "tool.result.freshness_budget_s",
  toolMissingFields: "tool.result.missing_fields",
  /** Prefix of the facts a tool result establishes, e.g. `tool.result.device.encrypted`. */
  toolResultFact: "tool.result.",

  /** On a what-if replay's `what_if_replay` span: the trace it replays, and the one change it made. */
  replayOfTraceId: "replay.of_trace_id",
  replayChange: "replay.change",

  feedbackOutcome: "feedback.outcome",
  feedbackDelayS: "feedback.delay_s",

  errorType: "error.type",
} as const;

/** Attributes that carry raw payloads: governance keeps them in the restricted tier only. */
export const RAW_PAYLOAD_ATTR = {
  /** The analyst's feedback comment. */
  feedbackComment: "feedback.comment",
} as const;

/** OpenTelemetry GenAI semantic conventions (development status, so spelled out here). */
export const GEN_AI = {
  operationName: "gen_ai.operation.name",
  providerName: "gen_ai.provider.name",
  requestModel: "gen_ai.request.model",
  requestTemperature: "gen_ai.request.temperature",
  responseFinishReasons: "gen_ai.response.finish_reasons",
  outputType: "gen_ai.output.type",
  inputTokens: "gen_ai.usage.input_tokens",
  outputTokens: "gen_ai.usage.output_tokens",
  toolName: "gen_ai.tool.name",
  toolCallId: "gen_ai.tool.call.id",
  toolType: "gen_ai.tool.type",
  toolDescription: "gen_ai.tool.description",
  agentName: "gen_ai.agent.name",
  conversationId: "gen_ai.conversation.id",
} as const;

export type Stage = "route" | "retrieve" | "tool" | "synthesize";
