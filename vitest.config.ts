import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Worker threads: lighter than forked processes (121 s against 127 s, run back to back here).
    // Not vmThreads/vmForks: they fail inside the LangChain instrumentation's old @opentelemetry/instrumentation.
    pool: "threads",
    // Most slow tests wait on child processes (the CLI, the mock services, a browser): more files than
    // cores keeps both cores busy. The default, one fewer worker than cores, is one worker here.
    maxWorkers: 3,
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Generous: a loaded 2-core machine must not fail a test on time alone.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
