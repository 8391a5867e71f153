import type { Random } from "./random.ts";

/**
 * Attributes of a `ChatOpenAI` span as the LangChain instrumentation writes them, with what the
 * export path adds (cost, provider, GenAI twins) and the prompt template from the context.
 */

const PRICES_PER_TOKEN: Record<string, { input: number; output: number }> = {
  "sim-large": { input: 3e-6, output: 15e-6 },
  "sim-small": { input: 0.25e-6, output: 1.25e-6 },
};

/** The router's `classify_incident` tool, as the span records it. */
const CLASSIFY_TOOL_SCHEMA = JSON.stringify({
  type: "function",
  function: {
    name: "classify_incident",
    description: "Record the incident's category, severity, entities and the actions it calls for.",
    parameters: {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: {
        category: {
          type: "string",
          enum: ["lost_or_stolen_device", "account_compromise", "phishing", "other"],
        },
        severity: { type: "string", enum: ["low", "medium", "high", "critical"] },
        employee_ids: { default: [], type: "array", items: { type: "string" } },
        asset_tags: { default: [], type: "array", items: { type: "string" } },
        owner_name: { default: null, type: ["string", "null"] },
        requested_actions: {
          default: [],
          type: "array",
          items: { type: "string", enum: ["lookup_device", "revoke_sessions"] },
        },
      },
      required: ["category", "severity"],
    },
  },
});

export interface ChatCall {
  model: string;
  system: string;
  user: string;
  template: string;
  templateVersion: string;
  variables: Record<string, string>;
  /** The assistant message: text content, or one tool call's JSON arguments. */
  output: { content: string } | { toolCall: { name: string; arguments: string } };
}

/** Rough token counts: about 3.7 characters a token for this English-and-JSON mix. */
const tokens = (text: string) => Math.max(1, Math.round(text.length / 3.7));

export function chatAttributes(random: Random, call: ChatCall): Record<string, unknown> {
  const messages = [
    { role: "system", content: call.system },
    { role: "user", content: call.user },
  ];
  const callId = `call_${random.hex(24)}`;
  const message =
    "content" in call.output
      ? { role: "assistant", content: call.output.content, refusal: null }
      : {
          role: "assistant",
          content: null,
          refusal: null,
          tool_calls: [{ id: callId, type: "function", function: call.output.toolCall }],
        };
  const promptTokens = tokens(call.system + call.user) + ("toolCall" in call.output ? 140 : 0);
  const completionTokens = tokens(JSON.stringify(message.content ?? message.tool_calls));
  const price = PRICES_PER_TOKEN[call.model] ?? { input: 0, output: 0 };
  const outputAttributes: Record<string, unknown> =
    "content" in call.output
      ? { "llm.output_messages.0.message.content": call.output.content }
      : {
          "llm.output_messages.0.message.tool_calls.0.tool_call.id": callId,
          "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": call.output.toolCall.name,
          "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments":
            call.output.toolCall.arguments,
        };
  return {
    "llm.provider": "openai",
    "llm.system": "openai",
    "llm.model_name": call.model,
    "llm.invocation_parameters": JSON.stringify({ model: call.model, temperature: 0, stream: false }),
    metadata: JSON.stringify({ ls_provider: "openai", ls_model_name: call.model, ls_model_type: "chat" }),
    "llm.input_messages.0.message.role": "system",
    "llm.input_messages.0.message.content": call.system,
    "llm.input_messages.1.message.role": "user",
    "llm.input_messages.1.message.content": call.user,
    ...("toolCall" in call.output && { "llm.tools.0.tool.json_schema": CLASSIFY_TOOL_SCHEMA }),
    "input.value": JSON.stringify(messages),
    "input.mime_type": "application/json",
    "llm.prompt_template.template": call.template,
    "llm.prompt_template.version": call.templateVersion,
    "llm.prompt_template.variables": JSON.stringify(call.variables),
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": call.model,
    "gen_ai.request.temperature": 0,
    "gen_ai.output.type": "content" in call.output ? "json" : "text",
    "llm.output_messages.0.message.role": "assistant",
    ...outputAttributes,
    "llm.token_count.prompt": promptTokens,
    "llm.token_count.completion": completionTokens,
    "llm.token_count.total": promptTokens + completionTokens,
    "output.value": JSON.stringify(message),
    "output.mime_type": "application/json",
    "llm.cost.prompt": promptTokens * price.input,
    "llm.cost.completion": completionTokens * price.output,
    "llm.cost.total": promptTokens * price.input + completionTokens * price.output,
    "llm.finish_reason": "content" in call.output ? "stop" : "tool_calls",
    "gen_ai.response.finish_reasons": ["content" in call.output ? "stop" : "tool_calls"],
    "gen_ai.usage.input_tokens": promptTokens,
    "gen_ai.usage.output_tokens": completionTokens,
  };
}
