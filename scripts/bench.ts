/**
 * The benchmark (SPEC section 9): `npm run bench [-- --json] [-- --quick] [-- --store postgres://…]`.
 * Fills a store with generated traces and times the named queries on it, measures ingest three ways
 * against raw inserts, and compares the assistant with telemetry on and off. Every store is SQLite,
 * or with --store a fresh database on that PostgreSQL server, where OTLP ingest through one and two
 * replicas is measured too. Progress goes to stderr; stdout holds only the result (one JSON object with --json).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openTraceStore } from "../src/store/trace-store.ts";
import { fillStore } from "./bench/fill.ts";
import { measureIngest, measureReplicas } from "./bench/ingest.ts";
import { BenchStores } from "./bench/stores.ts";
import { compareOverhead } from "./bench/overhead-compare.ts";
import { measureQueries } from "./bench/query-latency.ts";
import { formatTable, type BenchResult } from "./bench/report.ts";
import { progress } from "./bench/stats.ts";

const SIZES = {
  full: { traces: 100_000, ingestSpans: 50_000, requests: 300, warmup: 20, rounds: 2, queryRuns: 30 },
  quick: { traces: 1_000, ingestSpans: 2_000, requests: 30, warmup: 5, rounds: 1, queryRuns: 20 },
};
const STORE_SEED = 1;

const { values: options } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    store: { type: "string" },
  },
});
const size = options.quick ? SIZES.quick : SIZES.full;
const dir = mkdtempSync(join(tmpdir(), "incident-bench-"));
const stores = new BenchStores(dir, options.store);
const started = performance.now();
try {
  // Overhead first: the store fill leaves gigabytes of dirty pages that the OS writes back for a while.
  const { overhead, maxRssMb: childRssMb } = await compareOverhead(
    size.requests,
    size.warmup,
    size.rounds,
    stores,
  );
  const ingest = await measureIngest(size.ingestSpans, stores);
  const replicas = stores.engine === "postgres" ? await measureReplicas(size.ingestSpans, stores) : undefined;
  const store = await openTraceStore(await stores.location("store"));
  progress(`filling a store with ${size.traces} traces`);
  let reported = 0;
  const filled = await fillStore(store, size.traces, STORE_SEED, (traces) => {
    if (traces - reported < size.traces / 10) return;
    reported = traces;
    progress(`  ${traces} traces, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  });
  const queries = await measureQueries(store, size.queryRuns);
  await store.close();
  const result: BenchResult = {
    store: filled,
    ingest,
    queries,
    overhead,
    memory: { rss_mb_peak: Math.round(Math.max(process.resourceUsage().maxRSS / 1024, childRssMb)) },
    ...(replicas && { replicas }),
  };
  process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : `${formatTable(result)}\n`);
  progress(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
} finally {
  await stores.dropAll();
  rmSync(dir, { recursive: true, force: true });
}
