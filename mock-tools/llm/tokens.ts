import { countTokens as countO200k } from "gpt-tokenizer/encoding/o200k_base";
import type { ChatRequest } from "./request.ts";

/** Like OpenAI's accounting: each message costs a few tokens of framing, and so does priming the reply. */
const TOKENS_PER_MESSAGE = 3;
const REPLY_PRIMING_TOKENS = 3;

/** Special-token text such as "<|endoftext|>" is counted as ordinary text rather than rejected. */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/** Tokens in `text` under o200k_base, the encoding of OpenAI's current models. */
export function countTokens(text: string): number {
  return text ? countO200k(text, AS_TEXT) : 0;
}

/** Tokens the request's messages, tool definitions and response schema put in front of the model. */
export function countPromptTokens(request: ChatRequest): number {
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
