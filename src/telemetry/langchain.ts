import * as CallbackManagerModule from "@langchain/core/callbacks/manager";
import { LangChainInstrumentation } from "@arizeai/openinference-instrumentation-langchain";

/**
 * Every LangChain run (chat model, prompt, tool, retriever) becomes an OpenInference span.
 * Call once, after the tracer provider is registered.
 */
export function instrumentLangChain(): void {
  const instrumentation = new LangChainInstrumentation();
  // In ESM the instrumentation's require hook never sees @langchain/core: patch the module we import.
  instrumentation.manuallyInstrument(CallbackManagerModule);
}

/**
 * LangChain runs its tracer callbacks in a background queue by default, outside the caller's OTel
 * context: an LLM span could then lose its prompt template, or land under another request's span
 * when requests overlap. Awaited callbacks run in the caller's context. Set before LangChain
 * creates its first callback handler (the handlers read it when they are constructed).
 */
export function awaitLangChainCallbacks(env: NodeJS.ProcessEnv = process.env): void {
  env.LANGCHAIN_CALLBACKS_BACKGROUND ??= "false";
}
