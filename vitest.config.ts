import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Not vmThreads/vmForks: they fail inside the LangChain instrumentation's old @opentelemetry/instrumentation.
    pool: "forks",
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
