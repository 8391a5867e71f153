import type { IngestResult } from "./ingest.ts";
import type { OverheadResult } from "./overhead-compare.ts";
import type { QueryLatency } from "./query-latency.ts";

/** The benchmark's result: SPEC section 9's JSON object, key for key. */
export interface BenchResult {
  store: { traces: number; spans: number };
  ingest: IngestResult;
  queries: QueryLatency;
  overhead: OverheadResult;
  memory: { rss_mb_peak: number };
  /** With --store postgres://…: OTLP ingest through one and through two replicas, spans per second. */
  replicas?: Record<"1" | "2", number>;
}

/** The same numbers as the JSON, as a table for a person. */
export function formatTable(result: BenchResult): string {
  const sections: [string, Record<string, number>][] = [
    ["store", result.store],
    ["ingest", { ...result.ingest }],
    ...Object.entries(result.queries).map(([name, latency]): [string, Record<string, number>] => [
      `query ${name}`,
      latency,
    ]),
    ["overhead", { ...result.overhead }],
    ["memory", result.memory],
    ...(result.replicas ? [["replicas (spans/s)", result.replicas] as [string, Record<string, number>]] : []),
  ];
  const width = Math.max(...sections.flatMap(([, values]) => Object.keys(values).map((key) => key.length)));
  return sections
    .map(([title, values]) =>
      [title, ...Object.entries(values).map(([key, value]) => `  ${key.padEnd(width)}  ${value}`)].join("\n"),
    )
    .join("\n\n");
}
