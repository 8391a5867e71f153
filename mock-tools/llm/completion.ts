import type { ChatCompletion, ChatCompletionChunk } from "openai/resources/chat/completions";
import type { CompletionUsage } from "openai/resources/completions";
import type { ModelOutput } from "./sim-model.ts";

/** Wraps the model's output in OpenAI's `chat.completion` and `chat.completion.chunk` objects. */

export interface Reply {
  completionId: string;
  toolCallId: string;
  /** Unix seconds. */
  created: number;
  model: string;
  output: ModelOutput;
  usage: CompletionUsage;
}

const SYSTEM_FINGERPRINT = "sim-1";
const STREAM_PIECES = 4;

function finishReason(output: ModelOutput) {
  return output.kind === "tool_call" ? ("tool_calls" as const) : ("stop" as const);
}

export function toCompletion(reply: Reply): ChatCompletion {
  const { output } = reply;
  const message: ChatCompletion.Choice["message"] =
    output.kind === "tool_call"
      ? {
          role: "assistant",
          content: null,
          refusal: null,
          tool_calls: [
            {
              id: reply.toolCallId,
              type: "function",
              function: { name: output.name, arguments: output.arguments },
            },
          ],
        }
      : { role: "assistant", content: output.content, refusal: null };
  return {
    id: reply.completionId,
    object: "chat.completion",
    created: reply.created,
    model: reply.model,
    choices: [{ index: 0, message, finish_reason: finishReason(output), logprobs: null }],
    usage: reply.usage,
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
}

/** Splits text into up to `count` pieces of similar length, never inside a surrogate pair. */
function splitIntoPieces(text: string, count: number): string[] {
  const chars = Array.from(text);
  const size = Math.max(1, Math.ceil(chars.length / count));
  const pieces: string[] = [];
  for (let start = 0; start < chars.length; start += size)
    pieces.push(chars.slice(start, start + size).join(""));
  return pieces;
}

/**
 * The stream OpenAI would send: the role first, the content (or tool-call arguments) in a few pieces,
 * the finish reason, then, when asked for, a chunk with no choices that carries the usage.
 */
export function toChunks(reply: Reply, includeUsage: boolean): ChatCompletionChunk[] {
  const { output } = reply;
  const chunk = (
    delta: ChatCompletionChunk.Choice["delta"],
    finish_reason: ChatCompletionChunk.Choice["finish_reason"] = null,
  ): ChatCompletionChunk => ({
    id: reply.completionId,
    object: "chat.completion.chunk",
    created: reply.created,
    model: reply.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [{ index: 0, delta, finish_reason, logprobs: null }],
  });

  const chunks =
    output.kind === "tool_call"
      ? [
          chunk({
            role: "assistant",
            content: null,
            tool_calls: [
              {
                index: 0,
                id: reply.toolCallId,
                type: "function",
                function: { name: output.name, arguments: "" },
              },
            ],
          }),
          ...splitIntoPieces(output.arguments, STREAM_PIECES).map((piece) =>
            chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }),
          ),
        ]
      : [
          chunk({ role: "assistant", content: "", refusal: null }),
          ...splitIntoPieces(output.content, STREAM_PIECES).map((piece) => chunk({ content: piece })),
        ];
  chunks.push(chunk({}, finishReason(output)));
  if (includeUsage) chunks.push({ ...chunk({}), choices: [], usage: reply.usage });
  return chunks;
}
