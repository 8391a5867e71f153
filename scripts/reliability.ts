/**
 * The reliability suite (docs/RELIABILITY.md): `npm run reliability`. Runs the tests of the trust
 * boundary with ten times the fuzzing runs of `npm test`, then measures the OTLP receiver's throughput
 * under overload against its unloaded rate. Progress goes to stderr, the figures to stdout.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { measureOverload } from "./bench/ingest.ts";
import { BenchStores } from "./bench/stores.ts";

const FUZZ_RUNS = 1_000;
const OVERLOAD_SPANS = 20_000;

const tests = spawnSync(
  process.execPath,
  [
    "node_modules/vitest/vitest.mjs",
    "run",
    "--testTimeout=600000",
    "test/reliability",
    "test/api",
    "test/integration/trace-backend.test.ts",
  ],
  { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, FUZZ_RUNS: String(FUZZ_RUNS) } },
);
if (tests.status !== 0) process.exit(tests.status ?? 1);

const dir = mkdtempSync(join(tmpdir(), "incident-reliability-"));
try {
  const overload = await measureOverload(OVERLOAD_SPANS, new BenchStores(dir));
  console.log(JSON.stringify({ fuzz_runs: FUZZ_RUNS, overload }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
