import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

/** Options every test file runs with. */
const common = {
  // Worker threads: lighter than forked processes (121 s against 127 s, run back to back here).
  // Not vmThreads/vmForks: they fail inside the LangChain instrumentation's old @opentelemetry/instrumentation.
  pool: "threads",
  // Generous: a loaded 2-core machine must not fail a test on time alone.
  testTimeout: 300_000,
  hookTimeout: 300_000,
} as const;

/**
 * Test files that change process-wide state no other file may inherit: the global tracer provider
 * and the patched `fetch` of test/helpers/in-memory-tracing.ts. They run in a fresh worker each.
 */
const ISOLATED = ["test/agent/stages.test.ts"];

/**
 * The longest files (each runs processes for 20 s or more), started first. Vitest orders a run by the
 * durations of the last one; a fresh clone has none, and it started these small files last: the
 * PostgreSQL bench began 83 s into a 124 s run and ran on alone at its end.
 */
const LONGEST_FIRST = [
  "test/bench/bench-postgres.test.ts",
  "test/bench/bench.test.ts",
  "test/integration/replicas.test.ts",
  "test/scenarios/replay.test.ts",
  "test/integration/start.test.ts",
  "test/whatif/what-if.test.ts",
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const index = LONGEST_FIRST.findIndex((path) => file.moduleId.endsWith(path));
      return index === -1 ? LONGEST_FIRST.length : index;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    // Most slow tests wait on child processes (the CLI, the mock services, a browser): more files than
    // cores keeps both cores busy. The default, one fewer worker than cores, is one worker here.
    maxWorkers: 3,
    sequence: { sequencer: LongestFirst },
    // Once for the whole run, for both projects.
    globalSetup: ["test/global-setup.ts"],
    projects: [
      {
        // The other files share their worker's modules: each file imported OpenTelemetry, LangChain and
        // express afresh, 43 s of a 155 s run; without it the suite took 106 s.
        test: {
          ...common,
          name: "shared",
          include: ["test/**/*.test.ts"],
          exclude: ISOLATED,
          isolate: false,
        },
      },
      { test: { ...common, name: "isolated", include: ISOLATED } },
    ],
  },
});
