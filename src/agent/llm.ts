import OpenAI from "openai";
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import { SpanKind } from "@opentelemetry/api";
import { getLLMAttributes, type Message } from "@arizeai/openinference-core";
import {
  MimeType,
  OpenInferenceSpanKind,
  SemanticConventions as SC,
} from "@arizeai/openinference-semantic-conventions";
import type { Config } from "../config.ts";
import { inSpan } from "../tracing.ts";
import { GEN_AI } from "../semconv.ts";
import { llmCost, tokenUsage } from "../metrics.ts";

/** A versioned prompt template, recorded on the LLM span as `llm.prompt_template.*`. */
export interface PromptTemplate {
  template: string;
  version: string;
  variables: Record<string, unknown>;
}

export interface ChatRequest {
  model: string;
  messages: ChatCompletionMessageParam[];
  promptTemplate: PromptTemplate;
  tools?: ChatCompletionCreateParamsNonStreaming["tools"];
  toolChoice?: ChatCompletionCreateParamsNonStreaming["tool_choice"];
  responseFormat?: ChatCompletionCreateParamsNonStreaming["response_format"];
}

export interface ChatResult {
  completion: ChatCompletion;
  costUsd: number;
}

/** Calls an OpenAI-compatible Chat Completions endpoint; each call is one LLM span. */
export class LlmClient {
  private readonly openai: OpenAI;

  constructor(
    baseURL: string,
    private readonly config: Pick<Config, "openaiApiKey" | "modelPrices">,
  ) {
    this.openai = new OpenAI({ baseURL, apiKey: config.openaiApiKey, maxRetries: 1, timeout: 30_000 });
  }

  chat(request: ChatRequest): Promise<ChatResult> {
    const invocationParameters = { temperature: 0 };
    return inSpan(
      `chat ${request.model}`,
      {
        kind: OpenInferenceSpanKind.LLM,
        spanKind: SpanKind.CLIENT,
        attributes: {
          ...getLLMAttributes({
            provider: "openai",
            system: "openai",
            modelName: request.model,
            invocationParameters,
            inputMessages: request.messages.map(toMessage),
            tools: request.tools?.map((tool) => ({ jsonSchema: tool as unknown as Record<string, unknown> })),
          }),
          [SC.INPUT_VALUE]: JSON.stringify(request.messages),
          [SC.INPUT_MIME_TYPE]: MimeType.JSON,
          [SC.PROMPT_TEMPLATE_TEMPLATE]: request.promptTemplate.template,
          [SC.PROMPT_TEMPLATE_VERSION]: request.promptTemplate.version,
          [SC.PROMPT_TEMPLATE_VARIABLES]: JSON.stringify(request.promptTemplate.variables),
          [GEN_AI.operationName]: "chat",
          [GEN_AI.providerName]: "openai",
          [GEN_AI.requestModel]: request.model,
          [GEN_AI.requestTemperature]: invocationParameters.temperature,
          [GEN_AI.outputType]: request.responseFormat ? "json" : "text",
        },
      },
      async (span) => {
        const completion = await this.openai.chat.completions.create({
          model: request.model,
          messages: request.messages,
          temperature: invocationParameters.temperature,
          ...(request.tools && { tools: request.tools }),
          ...(request.toolChoice && { tool_choice: request.toolChoice }),
          ...(request.responseFormat && { response_format: request.responseFormat }),
        });
        const usage = completion.usage;
        const prompt = usage?.prompt_tokens ?? 0;
        const completionTokens = usage?.completion_tokens ?? 0;
        const cost = this.costOf(completion.model || request.model, prompt, completionTokens);
        const message = completion.choices[0]?.message;
        span.setAttributes({
          ...getLLMAttributes({
            responseModelName: completion.model,
            outputMessages: message ? [toMessage(message)] : [],
            tokenCount: {
              prompt,
              completion: completionTokens,
              total: usage?.total_tokens ?? prompt + completionTokens,
            },
          }),
          [SC.OUTPUT_VALUE]: JSON.stringify(message ?? null),
          [SC.OUTPUT_MIME_TYPE]: MimeType.JSON,
          [SC.LLM_COST_PROMPT]: cost.prompt,
          [SC.LLM_COST_COMPLETION]: cost.completion,
          [SC.LLM_COST_TOTAL]: cost.total,
          [GEN_AI.responseModel]: completion.model,
          [GEN_AI.responseId]: completion.id,
          [GEN_AI.responseFinishReasons]: completion.choices.map((choice) => choice.finish_reason),
          [GEN_AI.inputTokens]: prompt,
          [GEN_AI.outputTokens]: completionTokens,
        });
        const metricAttributes = { [GEN_AI.requestModel]: request.model, [GEN_AI.operationName]: "chat" };
        tokenUsage.record(prompt, { ...metricAttributes, "gen_ai.token.type": "input" });
        tokenUsage.record(completionTokens, { ...metricAttributes, "gen_ai.token.type": "output" });
        llmCost.add(cost.total, metricAttributes);
        return { completion, costUsd: cost.total };
      },
    );
  }

  /** USD from the configured price table; an unknown model costs 0 rather than a guess. */
  private costOf(model: string, promptTokens: number, completionTokens: number) {
    const price = this.config.modelPrices[model];
    const prompt = ((price?.inputPerMTok ?? 0) * promptTokens) / 1e6;
    const completion = ((price?.outputPerMTok ?? 0) * completionTokens) / 1e6;
    return { prompt, completion, total: prompt + completion };
  }
}

function toMessage(message: ChatCompletionMessageParam | ChatCompletion.Choice["message"]): Message {
  const content = typeof message.content === "string" ? message.content : undefined;
  const toolCalls =
    "tool_calls" in message && message.tool_calls
      ? message.tool_calls.flatMap((call) =>
          call.type === "function"
            ? [{ id: call.id, function: { name: call.function.name, arguments: call.function.arguments } }]
            : [],
        )
      : undefined;
  return {
    role: message.role,
    ...(content !== undefined && { content }),
    ...(toolCalls && { toolCalls }),
    ...("tool_call_id" in message && { toolCallId: message.tool_call_id }),
  };
}
