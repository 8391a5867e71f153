/** USD per million input and output tokens, per model: the one price table (`MODEL_PRICES`). */
export type ModelPrices = Readonly<Record<string, { inputPerMTok: number; outputPerMTok: number }>>;

export interface LlmCost {
  prompt: number;
  completion: number;
  total: number;
}

/** What a model call cost; a model missing from the table costs 0 rather than a guess. */
export function llmCostOf(
  prices: ModelPrices,
  model: string,
  promptTokens: number,
  completionTokens: number,
): LlmCost {
  const price = prices[model];
  const prompt = ((price?.inputPerMTok ?? 0) * promptTokens) / 1e6;
  const completion = ((price?.outputPerMTok ?? 0) * completionTokens) / 1e6;
  return { prompt, completion, total: prompt + completion };
}
