import { metrics } from "@opentelemetry/api";

const meter = metrics.getMeter("incident-assistant");

/** RED per stage: the count is the rate, `outcome` the errors, the histogram the duration. */
export const stageDuration = meter.createHistogram("incident.stage.duration", {
  description: "Duration of each pipeline stage",
  unit: "s",
});

export const requestDuration = meter.createHistogram("incident.request.duration", {
  description: "Duration of each answered question, end to end",
  unit: "s",
});

/** OTel GenAI metric: tokens per model call, by `gen_ai.token.type` (input | output). */
export const tokenUsage = meter.createHistogram("gen_ai.client.token.usage", {
  description: "Tokens used per model call",
  unit: "{token}",
});

export const llmCost = meter.createCounter("incident.llm.cost", {
  description: "Model spend, from the configured price table",
  unit: "USD",
});
