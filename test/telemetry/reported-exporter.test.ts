import { describe, expect, it } from "vitest";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { ReportedSpanExporter } from "../../src/telemetry/reported-exporter.ts";

/** An exporter whose endpoint is down until `up` is set. */
class Endpoint implements SpanExporter {
  up = false;
  export(_spans: ReadableSpan[], done: (result: ExportResult) => void) {
    done(
      this.up
        ? { code: ExportResultCode.SUCCESS }
        : { code: ExportResultCode.FAILED, error: new Error("connect ECONNREFUSED 127.0.0.1:4318") },
    );
  }
  shutdown = () => Promise.resolve();
}

const spans = (count: number) => Array.from({ length: count }, () => ({}) as ReadableSpan);

describe("ReportedSpanExporter", () => {
  it("passes results through and warns of dropped spans at most once a minute, with the count", () => {
    const endpoint = new Endpoint();
    const warnings: Record<string, unknown>[] = [];
    let now = 0;
    const exporter = new ReportedSpanExporter(
      endpoint,
      "otlp",
      (fields) => warnings.push(fields),
      () => now,
    );
    const results: ExportResultCode[] = [];
    const exportAt = (time: number, count: number) => {
      now = time;
      exporter.export(spans(count), (result) => results.push(result.code));
    };

    exportAt(0, 3);
    exportAt(1_000, 4);
    exportAt(2_000, 5);
    exportAt(61_000, 1);
    endpoint.up = true;
    exportAt(62_000, 2);

    expect(results).toEqual([1, 1, 1, 1, 0]);
    expect(warnings).toEqual([
      { exporter: "otlp", dropped_spans: 3, reason: "connect ECONNREFUSED 127.0.0.1:4318" },
      { exporter: "otlp", dropped_spans: 10, reason: "connect ECONNREFUSED 127.0.0.1:4318" },
    ]);
  });
});
