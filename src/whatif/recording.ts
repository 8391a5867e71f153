import { SemanticConventions as SC } from "@arizeai/openinference-semantic-conventions";
import { ATTR } from "../contracts/semconv.ts";
import type { Governance } from "../governance/runtime.ts";
import type { SpanRecord, TraceStore } from "../store/trace-store.ts";
import { readTrace, type ToolCall, type TraceFacts } from "../trace/facts.ts";
import { rootOf } from "../trace/request.ts";
import { numeric, parsedJson, text } from "../trace/attribute-values.ts";

/** A what-if replay that cannot run: bad input (exit 2), with the reason in words. */
export class WhatIfError extends Error {
  override name = "WhatIfError";
}

/** One model call as the trace recorded it: what the model answered, and the tokens it counted. */
export interface RecordedModelCall {
  model: string;
  /** The text content of the reply (the synthesizer's JSON answer). */
  content: string;
  /** The tool calls of the reply (the router's `classify_incident`), arguments as JSON text. */
  toolCalls: { name: string; arguments: string }[];
  promptTokens: number;
  completionTokens: number;
}

/** One HTTP attempt of a tool call: a status, or no answer at all. */
export type RecordedAttempt = { status: number } | { failure: "timeout" | "connection_error" };

export interface RecordedToolCall {
  tool: string;
  callId: string;
  /** Each attempt in order (retries included); the last one answered with `body`. */
  attempts: RecordedAttempt[];
  body: unknown;
  call: ToolCall;
}

/**
 * What a stored trace recorded, enough to run its pipeline again without calling anything live:
 * the question, the configuration, the router's and the synthesizer's model outputs (from the
 * restricted tier), the index the retriever read, and every tool call's attempts and final body.
 */
export interface Recording {
  traceId: string;
  rootSpanId: string;
  question: string;
  routingPolicy: string;
  /** `v1` or `v2`. */
  synthesizerPrompt: string;
  route: string | undefined;
  /** The date of the runbook index the retriever read. */
  indexAsOf: string;
  router: RecordedModelCall;
  synthesizer: RecordedModelCall;
  toolCalls: RecordedToolCall[];
  spans: SpanRecord[];
  /** The spans read once: what the diff compares the replay's answer with. */
  facts: TraceFacts;
}

/** Throws a WhatIfError unless the store holds the trace and the restricted tier its payloads; reads none of them. */
export async function checkReplayable(
  store: TraceStore,
  governance: Governance,
  traceId: string,
): Promise<void> {
  if (!(await store.hasTrace(traceId))) throw new WhatIfError(`no trace ${traceId} in ${store.location}`);
  if (!(await governance.restricted.has(traceId)))
    throw new WhatIfError(
      `trace ${traceId} cannot be replayed: its raw payloads (model outputs, tool responses) were not kept in the ` +
        "restricted tier. Tail sampling keeps them for failed, flagged and escalated traces and a sample of healthy " +
        "ones (SAMPLE_HEALTHY_RATE); this trace was sampled out, or its payloads are past RESTRICTED_RETENTION.",
    );
}

/** Reads a stored trace and its restricted payloads (an audited read, in `reader`'s name). */
export async function readRecording(
  store: TraceStore,
  governance: Governance,
  traceId: string,
  reader: string,
): Promise<Recording> {
  await checkReplayable(store, governance, traceId);
  const spans = await store.spansOf(traceId);
  const root = rootOf(spans);
  if (!root) throw new WhatIfError(`trace ${traceId} has no root span to replay from`);
  const payloads = new Map(
    (await governance.restricted.read(traceId, reader)).map((payload) => [
      payload.spanId,
      payload.attributes,
    ]),
  );
  const raw = (span: SpanRecord | undefined, key: string) =>
    span ? (payloads.get(span.spanId)?.[key] ?? span.attributes[key]) : undefined;
  const facts = readTrace(spans);
  const byStage = (stage: SpanRecord | undefined) =>
    spans.find((span) => span.oiKind === "LLM" && stage && isBelow(span, stage, spans));
  const routeSpan = facts.routes[0]?.span;
  const synthesizeSpan = spans.find((span) => span.oiKind === "CHAIN" && span.name === "synthesize");
  const question = text(raw(root, SC.INPUT_VALUE));
  if (question === undefined) throw new WhatIfError(`trace ${traceId} recorded no question`);
  const promptVersion = text(root.attributes[ATTR.synthesizerPromptVersion]) ?? "";
  return {
    traceId,
    rootSpanId: root.spanId,
    question,
    routingPolicy: text(root.attributes[ATTR.routingPolicy]) ?? "",
    synthesizerPrompt: promptVersion.replace(/^synthesizer-/, ""),
    route: facts.routes[0]?.route,
    indexAsOf: facts.retrievals[0]?.asOf ?? "current",
    router: modelCall(traceId, "router", byStage(routeSpan), raw),
    synthesizer: modelCall(traceId, "synthesizer", byStage(synthesizeSpan), raw),
    toolCalls: facts.toolCalls.map((call) => ({
      tool: call.tool,
      callId: text(call.span.attributes[SC.TOOL_ID]) ?? "",
      attempts: attemptsOf(call, spans),
      body: parsedJson(raw(call.span, SC.OUTPUT_VALUE)),
      call,
    })),
    spans,
    facts,
  };
}

function modelCall(
  traceId: string,
  stage: string,
  span: SpanRecord | undefined,
  raw: (span: SpanRecord | undefined, key: string) => unknown,
): RecordedModelCall {
  if (!span) throw new WhatIfError(`trace ${traceId} recorded no ${stage} model call`);
  const output = "llm.output_messages.0.message.";
  const toolCalls: RecordedModelCall["toolCalls"] = [];
  for (let index = 0; ; index++) {
    const name = text(raw(span, `${output}tool_calls.${index}.tool_call.function.name`));
    if (name === undefined) break;
    toolCalls.push({
      name,
      arguments: text(raw(span, `${output}tool_calls.${index}.tool_call.function.arguments`)) ?? "{}",
    });
  }
  const content = text(raw(span, `${output}content`));
  if (content === undefined && toolCalls.length === 0)
    throw new WhatIfError(`trace ${traceId} kept no output of its ${stage} model call`);
  return {
    model: text(span.attributes[SC.LLM_MODEL_NAME]) ?? "",
    content: content ?? "",
    toolCalls,
    promptTokens: numeric(span.attributes[SC.LLM_TOKEN_COUNT_PROMPT]) ?? 0,
    completionTokens: numeric(span.attributes[SC.LLM_TOKEN_COUNT_COMPLETION]) ?? 0,
  };
}

/** The HTTP attempts beneath a tool span, oldest first: each CLIENT span's status, or why it had none. */
function attemptsOf(call: ToolCall, spans: readonly SpanRecord[]): RecordedAttempt[] {
  const attempts = spans
    .filter((span) => span.parentSpanId === call.span.spanId && span.spanKind === "CLIENT")
    .sort((a, b) => (a.startNs < b.startNs ? -1 : 1))
    .map((span): RecordedAttempt => {
      const status = numeric(span.attributes["http.response.status_code"]);
      if (status !== undefined) return { status };
      return { failure: call.errorType === "timeout" ? "timeout" : "connection_error" };
    });
  return attempts.length > 0 ? attempts : [{ status: call.httpStatus ?? 200 }];
}

/** Whether `ancestor` is above `span`; a parent chain that loops (spans sent over OTLP may) ends the walk. */
function isBelow(span: SpanRecord, ancestor: SpanRecord, spans: readonly SpanRecord[]): boolean {
  const byId = new Map(spans.map((candidate) => [candidate.spanId, candidate]));
  const seen = new Set<string>();
  for (
    let current = span.parentSpanId;
    current && !seen.has(current);
    current = byId.get(current)?.parentSpanId ?? null
  ) {
    if (current === ancestor.spanId) return true;
    seen.add(current);
  }
  return false;
}
