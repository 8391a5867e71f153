import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { loadConfig } from "../../src/shared/config.ts";
import { GovernedSpanProcessor } from "../../src/telemetry/governed-span-processor.ts";
import { awaitLangChainCallbacks, instrumentLangChain } from "../../src/telemetry/langchain.ts";
import { enrichLlmSpans } from "../../src/telemetry/llm-span-enricher.ts";

/**
 * Registers a tracer provider that keeps finished spans in memory, as openinference-core's own
 * tests do, with the instrumentations of src/telemetry/register.ts (LangChain, and undici for
 * `fetch`) and the LLM span enrichment of the export path.
 * Call once per test file, before the code under test starts spans.
 */
export function useInMemoryTracing(): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  awaitLangChainCallbacks();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const enrich = enrichLlmSpans(loadConfig({}).modelPrices);
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({
      spanProcessors: [new GovernedSpanProcessor(enrich, [new SimpleSpanProcessor(exporter)])],
    }),
  );
  registerInstrumentations({ instrumentations: [new UndiciInstrumentation()] });
  instrumentLangChain();
  return exporter;
}
