/** The bench as its tests run it, and SPEC section 9's contract they check its output against. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect } from "vitest";
import { NAMED_QUERIES } from "../../src/store/queries.ts";
import type { BenchResult } from "../../scripts/bench/report.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The keys of SPEC section 9's JSON object, section by section. */
const CONTRACT = {
  store: ["traces", "spans"],
  ingest: [
    "raw_rows_per_s",
    "exporter_spans_per_s",
    "otlp_spans_per_s",
    "exporter_ratio",
    "otlp_ratio",
    "event_loop_delay_p99_ms",
  ],
  overhead: [
    "requests",
    "spans_per_request",
    "median_ms_off",
    "median_ms_on",
    "ratio",
    "cpu_ms_added_per_request",
    "cpu_us_per_span",
  ],
  memory: ["rss_mb_peak"],
};

/** Rounded ratios: the quotient of the reported numbers, to the precision reported. */
const expectQuotient = (ratio: number, numerator: number, denominator: number) =>
  expect(Math.abs(ratio - numerator / denominator)).toBeLessThanOrEqual(0.005 * (numerator / denominator));

/** One `npm run bench` (its script, as the npm script runs it after building) with `args`; its JSON line. */
export async function bench(args: string[]): Promise<BenchResult> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--expose-gc", "dist/scripts/bench.js", "--json", "--quick", ...args],
    { cwd: ROOT, maxBuffer: 1024 * 1024 },
  );
  const lines = stdout.trim().split("\n");
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] as string) as BenchResult;
}

/** SPEC section 9's object: its keys, and numbers that agree with each other. */
export function expectContract(result: BenchResult) {
  const sections = result as unknown as Record<string, Record<string, unknown>>;
  for (const [section, keys] of Object.entries(CONTRACT)) {
    expect(Object.keys(sections[section] ?? {}).sort()).toEqual([...keys].sort());
    for (const key of keys) expect(typeof sections[section]?.[key]).toBe("number");
  }
  expect(Object.keys(result.queries).sort()).toEqual(Object.keys(NAMED_QUERIES).sort());
  for (const latency of Object.values(result.queries)) {
    expect(Object.keys(latency).sort()).toEqual(["p50_ms", "p95_ms"]);
    expect(latency.p50_ms).toBeGreaterThan(0);
    expect(latency.p95_ms).toBeGreaterThanOrEqual(latency.p50_ms);
  }

  const { store, ingest, overhead, memory } = result;
  expect(store.traces).toBe(1000);
  expect(store.spans).toBeGreaterThan(12 * store.traces);
  for (const key of CONTRACT.ingest) expect(sections.ingest?.[key]).toBeGreaterThan(0);
  expectQuotient(ingest.exporter_ratio, ingest.exporter_spans_per_s, ingest.raw_rows_per_s);
  expectQuotient(ingest.otlp_ratio, ingest.otlp_spans_per_s, ingest.raw_rows_per_s);

  expect(overhead.requests).toBeGreaterThan(0);
  expect(overhead.spans_per_request).toBeGreaterThanOrEqual(12);
  expect(overhead.median_ms_off).toBeGreaterThan(0);
  expect(overhead.median_ms_on).toBeGreaterThan(0);
  expectQuotient(overhead.ratio, overhead.median_ms_on, overhead.median_ms_off);
  expect(Number.isFinite(overhead.cpu_ms_added_per_request)).toBe(true);
  expect(Number.isFinite(overhead.cpu_us_per_span)).toBe(true);
  expect(memory.rss_mb_peak).toBeGreaterThan(0);
}
