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

// The model-call metrics (tokens, cost) are recorded with the LLM spans, in src/telemetry/llm-span-enricher.ts.
