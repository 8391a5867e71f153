import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { SpanKind, type Attributes, type Span } from "@opentelemetry/api";
import { getToolAttributes } from "@arizeai/openinference-core";
import {
  MimeType,
  OpenInferenceSpanKind,
  SemanticConventions as SC,
} from "@arizeai/openinference-semantic-conventions";
import { inSpan, markSpanError } from "../../instrumentation/tracing.ts";
import { ATTR, GEN_AI } from "../../contracts/semconv.ts";
import { log } from "../../instrumentation/log.ts";
import { jsonOrText } from "../../shared/json.ts";
import type { ToolOutcome } from "../../contracts/vocabulary.ts";

/** What a tool call came back with, after retries. The synthesizer and the trace both see this. */
export interface ToolResult {
  /** Evidence id suffix: the answer cites `tool:<callId>`. */
  callId: string;
  tool: string;
  arguments: Record<string, string>;
  outcome: ToolOutcome;
  httpStatus: number | null;
  errorType: string | null;
  retries: number;
  asOf: string | null;
  ageS: number | null;
  missingFields: string[];
  data: Record<string, unknown> | null;
}

export interface ToolDefinition {
  name: string;
  description: string;
  /** The arguments' schema: LangChain binds it to a model, and its JSON schema is `tool.parameters`. */
  schema: z.ZodObject;
  /** Fields a successful answer must hold; a 200 without them is `partial`. */
  requiredFields: readonly string[];
  /** How old the result's `as_of` may be before the data counts as stale, when it has one. */
  freshnessBudgetS?: number;
  /** The facts the result establishes, as `tool.result.*` attributes the diagnosis can check. */
  facts(data: Record<string, unknown>): Attributes;
}

export interface HttpRequest {
  method: "GET" | "POST";
  url: string;
  token: string;
  body?: unknown;
}

export interface RetryPolicy {
  timeoutMs: number;
  maxRetries: number;
}

/** Where a tool's service is and how the assistant calls it. */
export interface ServiceEndpoint {
  baseUrl: string;
  token: string;
  retry: RetryPolicy;
}

const BACKOFF_MS = 100;
const OUTPUT_CHARS = 4_000;

class Timeout extends Error {
  override name = "TimeoutError";
}

/** One HTTP attempt: the response, or the reason there was none. */
type Attempt =
  | { kind: "response"; status: number; body: unknown }
  | { kind: "timeout"; error: Error }
  | { kind: "connection_error"; error: Error };

async function attempt(request: HttpRequest, timeoutMs: number): Promise<Attempt> {
  try {
    // No propagation.inject here: the undici instrumentation adds traceparent, and two would start a new trace.
    const response = await fetch(request.url, {
      method: request.method,
      headers: {
        authorization: `Bearer ${request.token}`,
        ...(request.body !== undefined && { "content-type": "application/json" }),
      },
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    return { kind: "response", status: response.status, body: jsonOrText(text) };
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError") {
      return { kind: "timeout", error: new Timeout(`no answer within ${timeoutMs} ms`) };
    }
    return { kind: "connection_error", error: error instanceof Error ? error : new Error(String(error)) };
  }
}

/** 5xx and timeouts may be transient; a 4xx will not change on retry. */
const isRetryable = (result: Attempt) =>
  result.kind === "timeout" || result.kind === "connection_error" || result.status >= 500;

const jsonSchemas = new WeakMap<ToolDefinition, Record<string, unknown>>();
/** The arguments' JSON schema, converted once per tool. */
function parametersOf(tool: ToolDefinition): Record<string, unknown> {
  let parameters = jsonSchemas.get(tool);
  if (!parameters) {
    parameters = z.toJSONSchema(tool.schema) as Record<string, unknown>;
    jsonSchemas.set(tool, parameters);
  }
  return parameters;
}

const newCallId = () => `call_${randomBytes(6).toString("hex")}`;

/**
 * Calls a tool's HTTP API inside a TOOL span: timeouts, bounded retries with backoff on 5xx and
 * timeouts only, and validation of the answer. Failures come back as a result, never as a throw,
 * so the answer can report them; the span is still marked ERROR.
 */
export function callHttpTool(
  tool: ToolDefinition,
  args: Record<string, string>,
  request: HttpRequest,
  retry: RetryPolicy,
): Promise<ToolResult> {
  const callId = newCallId();
  const argumentsJson = JSON.stringify(args);
  return inSpan(
    `execute_tool ${tool.name}`,
    {
      kind: OpenInferenceSpanKind.TOOL,
      stage: "tool",
      spanKind: SpanKind.INTERNAL,
      attributes: {
        ...getToolAttributes({
          name: tool.name,
          description: tool.description,
          parameters: parametersOf(tool),
        }),
        [SC.INPUT_VALUE]: argumentsJson,
        [SC.INPUT_MIME_TYPE]: MimeType.JSON,
        [SC.TOOL_ID]: callId,
        [ATTR.toolArguments]: argumentsJson,
        [GEN_AI.operationName]: "execute_tool",
        [GEN_AI.toolName]: tool.name,
        [GEN_AI.toolCallId]: callId,
        [GEN_AI.toolType]: "function",
        [GEN_AI.toolDescription]: tool.description,
      },
    },
    async (span) => {
      let result = await attempt(request, retry.timeoutMs);
      let retries = 0;
      while (isRetryable(result) && retries < retry.maxRetries) {
        retries += 1;
        await sleep(BACKOFF_MS * 2 ** (retries - 1));
        result = await attempt(request, retry.timeoutMs);
      }
      const toolResult = interpret(tool, callId, args, result, retries);
      recordResult(span, tool, toolResult, result);
      return toolResult;
    },
  );
}

function interpret(
  tool: ToolDefinition,
  callId: string,
  args: Record<string, string>,
  result: Attempt,
  retries: number,
): ToolResult {
  const base = {
    callId,
    tool: tool.name,
    arguments: args,
    retries,
    asOf: null,
    ageS: null,
    missingFields: [],
  };
  if (result.kind !== "response") {
    return { ...base, outcome: "error", httpStatus: null, errorType: result.kind, data: null };
  }
  const data = isRecord(result.body) ? result.body : null;
  if (result.status >= 400 || !data) {
    const code = data && typeof data.error === "string" ? data.error : `http_${result.status}`;
    return { ...base, outcome: "error", httpStatus: result.status, errorType: code, data };
  }
  const missingFields = tool.requiredFields.filter(
    (field) => data[field] === undefined || data[field] === null,
  );
  const asOf = typeof data.as_of === "string" ? data.as_of : null;
  const ageS = asOf ? Math.max(0, Math.round((Date.now() - Date.parse(asOf)) / 1000)) : null;
  return {
    ...base,
    outcome: missingFields.length > 0 ? "partial" : "success",
    httpStatus: result.status,
    errorType: null,
    asOf,
    ageS,
    missingFields,
    data,
  };
}

function recordResult(span: Span, tool: ToolDefinition, result: ToolResult, attemptResult: Attempt) {
  span.setAttributes({
    [ATTR.toolOutcome]: result.outcome,
    [ATTR.toolRetries]: result.retries,
    [ATTR.toolMissingFields]: result.missingFields,
    ...(result.httpStatus !== null && { [ATTR.toolHttpStatus]: result.httpStatus }),
    ...(result.asOf && { [ATTR.toolResultAsOf]: result.asOf }),
    ...(result.ageS !== null && { [ATTR.toolResultAgeS]: result.ageS }),
    ...(tool.freshnessBudgetS !== undefined && { [ATTR.toolFreshnessBudgetS]: tool.freshnessBudgetS }),
    ...(result.data && result.outcome !== "error" && tool.facts(result.data)),
    [SC.OUTPUT_VALUE]: JSON.stringify(result.data).slice(0, OUTPUT_CHARS),
    [SC.OUTPUT_MIME_TYPE]: MimeType.JSON,
  });
  if (result.outcome === "error") {
    markSpanError(
      span,
      result.errorType ?? "error",
      attemptResult.kind === "response" ? undefined : attemptResult.error,
    );
    log.warn(
      {
        tool: tool.name,
        http_status: result.httpStatus,
        error_type: result.errorType,
        retries: result.retries,
      },
      "tool call failed",
    );
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
