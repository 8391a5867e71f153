import { context } from "@opentelemetry/api";
import { setPromptTemplate } from "@arizeai/openinference-core";
import { ChatOpenAI } from "@langchain/openai";
import type { ChatPromptTemplate } from "@langchain/core/prompts";
import type { AIMessageChunk, BaseMessage } from "@langchain/core/messages";
import type { Runnable } from "@langchain/core/runnables";
import type { Config } from "../shared/config.ts";
import { llmCostOf } from "../shared/llm-cost.ts";

/** A versioned LangChain prompt, recorded on its LLM span as `llm.prompt_template.*`. */
export interface VersionedPrompt {
  version: string;
  template: ChatPromptTemplate;
  /** The template's messages as one text, for `llm.prompt_template.template`. */
  text: string;
}

/** A chat model ready for one kind of call: tools bound, or a response format set. */
export type ChatRunnable = Runnable<BaseMessage[], AIMessageChunk>;

export interface ModelReply {
  message: AIMessageChunk;
  /** USD, from the same price table as the LLM span's `llm.cost.total`. */
  costUsd: number;
}

/**
 * The assistant's model layer: one `ChatOpenAI` per model name, all on one OpenAI-compatible
 * endpoint (the simulated model by default). `ChatOpenAI` drives the `openai` client underneath.
 */
export class ChatModels {
  private readonly models = new Map<string, ChatOpenAI>();
  private readonly runnables = new Map<string, ChatRunnable>();

  constructor(
    private readonly baseURL: string,
    private readonly config: Pick<Config, "openaiApiKey" | "modelPrices">,
  ) {}

  private model(name: string): ChatOpenAI {
    let model = this.models.get(name);
    if (!model) {
      model = new ChatOpenAI({
        model: name,
        temperature: 0,
        apiKey: this.config.openaiApiKey,
        maxRetries: 1,
        timeout: 30_000,
        configuration: { baseURL: this.baseURL },
      });
      this.models.set(name, model);
    }
    return model;
  }

  /**
   * `model(name)` prepared by `prepare` (tools bound, a response format set), once per model and
   * purpose: each `bindTools` or `withConfig` makes a new `ChatOpenAI`, with an OpenAI client of its
   * own to build at its first call.
   */
  runnable(name: string, purpose: string, prepare: (model: ChatOpenAI) => ChatRunnable): ChatRunnable {
    const key = `${purpose}\u0000${name}`;
    let runnable = this.runnables.get(key);
    if (!runnable) {
      runnable = prepare(this.model(name));
      if (runnable instanceof ChatOpenAI) serializeOnce(runnable);
      this.runnables.set(key, runnable);
    }
    return runnable;
  }

  /**
   * Formats `prompt` and sends it to `runnable`. The call runs under the prompt's OpenInference
   * context attributes, which the LangChain instrumentation's tracer copies onto the LLM span it
   * starts: one place gives every model call its template, version and variables.
   */
  async invoke(
    prompt: VersionedPrompt,
    variables: Record<string, string>,
    runnable: ChatRunnable,
    model: string,
  ): Promise<ModelReply> {
    // formatMessages, unlike invoke, is not a LangChain run: no PROMPT span, one LLM span per call.
    const messages = await prompt.template.formatMessages(variables);
    const withPrompt = setPromptTemplate(context.active(), {
      template: prompt.text,
      version: prompt.version,
      variables,
    });
    const message = await context.with(withPrompt, () => runnable.invoke(messages));
    const usage = message.usage_metadata;
    const cost = llmCostOf(
      this.config.modelPrices,
      model,
      usage?.input_tokens ?? 0,
      usage?.output_tokens ?? 0,
    );
    return { message, costUsd: cost.total };
  }
}

/**
 * With a callback handler registered (the LangChain instrumentation), LangChain serializes the model
 * for it at every call (`handleChatModelStart(this.toJSON(), …)`): a walk over its fields, escaping
 * each, about a tenth of a millisecond. The serialized form is read from the model's fields, and
 * these models' fields never change once made, so it is made once.
 */
function serializeOnce(model: ChatOpenAI): void {
  const serialized = model.toJSON();
  model.toJSON = () => serialized;
}
