import { listen } from "../shared/service.ts";
import { createLlmApp } from "./app.ts";
import { loadTokenizer } from "./tokens.ts";

/** Runs the simulated model alone: `PORT=8300 SIM_LATENCY_MS=200 node --import tsx mock-tools/llm/main.ts`. */

function nonNegativeIntEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  }
  return value;
}

const app = createLlmApp({ latencyMs: nonNegativeIntEnv("SIM_LATENCY_MS", 0) });
await listen(app, "llm", nonNegativeIntEnv("PORT", 0));
// Ready first, then the tokenizer's ranks: a supervisor starting several services waits less. A
// failure here is left to the first request that needs the tokenizer, which tries again and reports it.
await loadTokenizer().catch(() => undefined);
