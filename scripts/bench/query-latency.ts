import { NAMED_QUERIES, type NamedQuery, type NamedQueryOptions } from "../../src/store/queries.ts";
import type { TraceStore } from "../../src/store/trace-store.ts";
import { percentile, progress, significant, sortedCopy } from "./stats.ts";

export type QueryLatency = Record<NamedQuery, { p50_ms: number; p95_ms: number }>;

/** A page of a list, as the viewer or an API client would ask for it: the newest 100 rows. */
const PAGE: NamedQueryOptions = { limit: 100 };

/**
 * Runs each named query `runs` times for a page of rows (after one untimed run that warms the page
 * cache); the time to fetch every matching row is reported on stderr alongside.
 */
export async function measureQueries(store: TraceStore, runs: number): Promise<QueryLatency> {
  const latency = {} as QueryLatency;
  for (const name of Object.keys(NAMED_QUERIES) as NamedQuery[]) {
    const page = await time(() => NAMED_QUERIES[name](store, PAGE), runs);
    const all = await time(() => NAMED_QUERIES[name](store), runs);
    latency[name] = { p50_ms: page.p50, p95_ms: page.p95 };
    progress(
      `query ${name}: page of ${page.rows} rows p50 ${page.p50} ms, p95 ${page.p95} ms;` +
        ` all ${all.rows} rows p50 ${all.p50} ms, p95 ${all.p95} ms`,
    );
  }
  return latency;
}

async function time(
  query: () => Promise<unknown[]>,
  runs: number,
): Promise<{ rows: number; p50: number; p95: number }> {
  const rows = (await query()).length;
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await query();
    times.push(performance.now() - started);
  }
  const sorted = sortedCopy(times);
  return { rows, p50: significant(percentile(sorted, 50)), p95: significant(percentile(sorted, 95)) };
}
