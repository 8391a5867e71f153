/** The simulated models and their list prices in USD per million tokens. */

export type ModelId = "sim-large" | "sim-small";

export interface ModelPricing {
  input_per_mtok: number;
  output_per_mtok: number;
}

export const PRICES: Readonly<Record<ModelId, ModelPricing>> = {
  /** Strong: follows every instruction in the system prompt. */
  "sim-large": { input_per_mtok: 3.0, output_per_mtok: 15.0 },
  /** Fast and cheap: tells a good story whatever the prompt says. */
  "sim-small": { input_per_mtok: 0.25, output_per_mtok: 1.25 },
};

/** A fixed creation time so the model list is the same on every run. */
const CREATED = 1_767_225_600; // 2026-01-01T00:00:00Z

export function isModelId(id: string): id is ModelId {
  return Object.hasOwn(PRICES, id);
}

/** The `GET /v1/models` body: OpenAI's list shape plus each model's pricing. */
export function modelList() {
  return {
    object: "list" as const,
    data: Object.entries(PRICES).map(([id, pricing]) => ({
      id,
      object: "model" as const,
      created: CREATED,
      owned_by: "mock-tools",
      pricing,
    })),
  };
}
