import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { openTraceStore, type SpanRecord } from "../../src/store/trace-store.ts";
import { StoreSpanExporter } from "../../src/telemetry/store-span-exporter.ts";
import { toReadableSpan } from "../../src/telemetry/readable-span.ts";
import { tempStore } from "../helpers/processes.ts";
import { healthyTrace, spanCount } from "../helpers/trace-builder.ts";

/** `traces` copies of the healthy trace, each under its own trace id, as finished SDK spans. */
function sdkSpans(traces: number): ReadableSpan[] {
  return Array.from({ length: traces }, (_, index) =>
    healthyTrace()
      .build()
      .map((span): SpanRecord => ({ ...span, traceId: index.toString(16).padStart(32, "a") })),
  )
    .flat()
    .map(toReadableSpan);
}

const exported = (exporter: StoreSpanExporter, spans: ReadableSpan[]) =>
  new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));

/** `work`'s result, and how many turns the event loop took while it ran. */
async function withTurns<T>(work: Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let running = true;
  const countTurns = () => {
    if (!running) return;
    turns += 1;
    setImmediate(countTurns);
  };
  setImmediate(countTurns);
  const result = await work;
  running = false;
  return { result, turns };
}

describe("StoreSpanExporter", () => {
  it("stores a large batch in small transactions, letting the event loop run in between", async () => {
    const { traceStore } = tempStore();
    const exporter = new StoreSpanExporter(traceStore);
    const spans = sdkSpans(40);
    const { result, turns } = await withTurns(exported(exporter, spans));

    expect(result.code).toBe(ExportResultCode.SUCCESS);
    expect(spans.length).toBeGreaterThan(200);
    expect(turns).toBeGreaterThan(3);
    await exporter.shutdown();
    const store = await openTraceStore(traceStore);
    expect(await store.traceIds()).toHaveLength(40);
    expect(await spanCount(store)).toBe(spans.length);
    await store.close();
  });

  it("bounds a step by bytes too: heavy spans, such as a synthesis LLM span's, go a few at a time", async () => {
    const { traceStore } = tempStore();
    const exporter = new StoreSpanExporter(traceStore);
    // Eight spans of 20 KB each: fewer than one step's count, five steps' worth of bytes.
    const spans = healthyTrace()
      .build()
      .slice(0, 8)
      .map((span) =>
        toReadableSpan({ ...span, attributes: { ...span.attributes, "output.value": "x".repeat(20_000) } }),
      );
    const { result, turns } = await withTurns(exported(exporter, spans));

    expect(result.code).toBe(ExportResultCode.SUCCESS);
    expect(turns).toBeGreaterThanOrEqual(2);
    await exporter.shutdown();
  });

  it("checkpoints its write-ahead log into the store file while it runs", async () => {
    const { traceStore } = tempStore();
    const exporter = new StoreSpanExporter(traceStore);
    const schemaOnly = await exported(exporter, []).then(() => statSync(traceStore).size);

    await exported(exporter, sdkSpans(100));

    for (const deadline = Date.now() + 5_000; statSync(traceStore).size < schemaOnly + 100_000;) {
      if (Date.now() > deadline) throw new Error("the store file never took the spans");
      await sleep(50);
    }
    await exporter.shutdown();
  });

  it("finishes exports in the order they came, and shutdown waits for the last one", async () => {
    const { traceStore } = tempStore();
    const exporter = new StoreSpanExporter(traceStore);
    const spans = sdkSpans(6);
    const finished: number[] = [];
    exporter.export(spans.slice(0, 100), () => finished.push(1));
    exporter.export(spans.slice(100), () => finished.push(2));

    await exporter.shutdown();

    expect(finished).toEqual([1, 2]);
    const store = await openTraceStore(traceStore);
    expect(await spanCount(store)).toBe(spans.length);
    await store.close();
  });

  it("reports a store it cannot open as a failed export", async () => {
    const { dir } = tempStore();
    const exporter = new StoreSpanExporter(`${dir}/not-a-dir\0/traces.db`);

    const result = await exported(exporter, sdkSpans(1));

    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error).toBeInstanceOf(Error);
  });
});
