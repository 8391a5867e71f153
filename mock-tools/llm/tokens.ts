import type { CompletionUsage } from "openai/resources/completions";
import type { ChatRequest } from "./request.ts";

/** Like OpenAI's accounting: each message costs a few tokens of framing, and so does priming the reply. */
const TOKENS_PER_MESSAGE = 3;
const REPLY_PRIMING_TOKENS = 3;

/** Special-token text such as "<|endoftext|>" is counted as ordinary text rather than rejected. */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

type CountTokens = (text: string) => number;

let loading: Promise<CountTokens> | undefined;

/**
 * Counts tokens under o200k_base, the encoding of OpenAI's current models. Its ranks take about half
 * a second to load, so the service starts loading them once it listens, and a request waits for them.
 */
export function loadTokenizer(): Promise<CountTokens> {
  loading ??= import("gpt-tokenizer/encoding/o200k_base").then(
    ({ countTokens }) =>
      (text: string) =>
        text ? countTokens(text, AS_TEXT) : 0,
    (error: unknown) => {
      loading = undefined; // the next request tries again, and reports the failure if it recurs
      throw error;
    },
  );
  return loading;
}

/** The usage OpenAI reports: the request's tokens in front of the model, and the completion's. */
export async function usageOf(request: ChatRequest, completion: string): Promise<CompletionUsage> {
  const count = await loadTokenizer();
  const promptTokens = countPromptTokens(request, count);
  const completionTokens = count(completion);
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

/** Tokens the request's messages, tool definitions and response schema put in front of the model. */
function countPromptTokens(request: ChatRequest, countTokens: CountTokens): number {
  let tokens = REPLY_PRIMING_TOKENS;
  for (const message of request.messages) {
    tokens += TOKENS_PER_MESSAGE + countTokens(message.content ?? "") + countTokens(message.name ?? "");
    for (const call of message.tool_calls ?? []) {
      tokens += countTokens(call.function.name) + countTokens(call.function.arguments);
    }
  }
  if (request.tools?.length) tokens += countTokens(JSON.stringify(request.tools));
  const format = request.response_format;
  if (format?.type === "json_schema") tokens += countTokens(JSON.stringify(format.json_schema));
  return tokens;
}
