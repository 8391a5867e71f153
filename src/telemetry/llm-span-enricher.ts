import { metrics, type AttributeValue, type Attributes } from "@opentelemetry/api";
import {
  OpenInferenceSpanKind,
  SemanticConventions as SC,
} from "@arizeai/openinference-semantic-conventions";
import { GEN_AI } from "../contracts/semconv.ts";
import { llmCostOf, type ModelPrices } from "../shared/llm-cost.ts";
import { withData, type SpanTransform } from "./governed-span-processor.ts";

/**
 * What the LangChain instrumentation cannot know, added to every LLM span in one place of the export
 * path: `llm.cost.*` from the price table (Phoenix prices only the models it knows), the provider,
 * and the OpenTelemetry GenAI twins of the OpenInference attributes. Token and cost metrics are
 * recorded here too, so the dashboards count exactly the calls the traces show.
 *
 * The prompt template and its version are not added here: they travel in the OTel context
 * (`setPromptTemplate`) and the instrumentation's OITracer copies them onto the span it starts.
 */
export function enrichLlmSpans(prices: ModelPrices): SpanTransform {
  const parsedJson = new BoundedCache<string, Record<string, unknown> | undefined>(64);
  const jsonRecord = (value: AttributeValue | undefined) =>
    typeof value === "string" ? parsedJson.getOrCreate(value, parseRecord) : undefined;
  return (span) => {
    const attributes = span.attributes;
    if (attributes[SC.OPENINFERENCE_SPAN_KIND] !== OpenInferenceSpanKind.LLM) return span;
    const model = stringOf(attributes[SC.LLM_MODEL_NAME]);
    const promptTokens = countOf(attributes[SC.LLM_TOKEN_COUNT_PROMPT]);
    const completionTokens = countOf(attributes[SC.LLM_TOKEN_COUNT_COMPLETION]);
    const invocation = jsonRecord(attributes[SC.LLM_INVOCATION_PARAMETERS]);
    // LangChain names the provider in its run metadata (`ls_provider`), which the instrumentation keeps as `metadata`.
    const provider = stringOf(jsonRecord(attributes[SC.METADATA])?.ls_provider);
    const finishReason = stringOf(attributes[SC.LLM_FINISH_REASON]);
    const temperature = invocation?.temperature;

    const added: Attributes = {
      [GEN_AI.operationName]: "chat",
      [GEN_AI.outputType]: invocation?.response_format ? "json" : "text",
    };
    if (provider) {
      Object.assign(added, {
        [SC.LLM_PROVIDER]: provider,
        [SC.LLM_SYSTEM]: provider,
        [GEN_AI.providerName]: provider,
      });
    }
    if (model) added[GEN_AI.requestModel] = model;
    if (typeof temperature === "number") added[GEN_AI.requestTemperature] = temperature;
    if (finishReason) added[GEN_AI.responseFinishReasons] = [finishReason];
    if (promptTokens !== undefined) added[GEN_AI.inputTokens] = promptTokens;
    if (completionTokens !== undefined) added[GEN_AI.outputTokens] = completionTokens;
    if (model && (promptTokens !== undefined || completionTokens !== undefined)) {
      const cost = llmCostOf(prices, model, promptTokens ?? 0, completionTokens ?? 0);
      Object.assign(added, {
        [SC.LLM_COST_PROMPT]: cost.prompt,
        [SC.LLM_COST_COMPLETION]: cost.completion,
        [SC.LLM_COST_TOTAL]: cost.total,
      });
      const { tokenUsage, llmCost } = llmMetrics();
      const metricAttributes = { [GEN_AI.requestModel]: model, [GEN_AI.operationName]: "chat" };
      tokenUsage.record(promptTokens ?? 0, { ...metricAttributes, "gen_ai.token.type": "input" });
      tokenUsage.record(completionTokens ?? 0, { ...metricAttributes, "gen_ai.token.type": "output" });
      llmCost.add(cost.total, metricAttributes);
    }
    return withData(span, { attributes: { ...attributes, ...added } });
  };
}

let instruments: ReturnType<typeof createLlmMetrics> | undefined;
/** Created at the first LLM span: this module loads before NodeSDK registers the meter provider. */
const llmMetrics = () => (instruments ??= createLlmMetrics());

function createLlmMetrics() {
  const meter = metrics.getMeter("incident-assistant");
  return {
    /** OTel GenAI metric: tokens per model call, by `gen_ai.token.type` (input | output). */
    tokenUsage: meter.createHistogram("gen_ai.client.token.usage", {
      description: "Tokens used per model call",
      unit: "{token}",
    }),
    llmCost: meter.createCounter("incident.llm.cost", {
      description: "Model spend, from the configured price table",
      unit: "USD",
    }),
  };
}

const stringOf = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);
const countOf = (value: AttributeValue | undefined) =>
  typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined;

/**
 * A small map that forgets everything when full. Invocation parameters and run metadata repeat from
 * call to call (the same model, tools and response schema), and parsing them is most of this module's cost.
 */
class BoundedCache<K, V> {
  private readonly entries = new Map<K, V>();
  constructor(private readonly maxEntries: number) {}

  getOrCreate(key: K, create: (key: K) => V): V {
    if (this.entries.has(key)) return this.entries.get(key) as V;
    const value = create(key);
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, value);
    return value;
  }
}

function parseRecord(value: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
