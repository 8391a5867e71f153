import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import express from "express";
import { createOtlpReceiver } from "../../src/api/otlp-receiver.ts";
import { TraceStore, type SpanRecord } from "../../src/store/trace-store.ts";
import { SqliteSpanExporter } from "../../src/telemetry/sqlite-span-exporter.ts";
import { generateTraces } from "./generate.ts";
import { toReadableSpan } from "./readable-spans.ts";
import { progress, significant } from "./stats.ts";

export interface IngestResult {
  raw_rows_per_s: number;
  exporter_spans_per_s: number;
  otlp_spans_per_s: number;
  exporter_ratio: number;
  otlp_ratio: number;
  event_loop_delay_p99_ms: number;
}

/** The SDK's default batch size (OTEL_BSP_MAX_EXPORT_BATCH_SIZE), used by every path alike. */
const BATCH = 512;
const OTLP_SENDERS = 4;
const SEED = 20_261_127;

/**
 * The same spans written three ways, each into a fresh store: raw prepared INSERTs of pre-serialized
 * rows (the floor), the in-process exporter fed SDK spans, and the OTLP/HTTP receiver fed protobuf.
 * The spans are as an SDK finishes them, raw payloads included (what another service posts over OTLP),
 * so the rows are the heavy ones: about 2.4 KB of attributes on average, 20 KB on a synthesis LLM span.
 */
export async function measureIngest(spanCount: number, dir: string): Promise<IngestResult> {
  const spans = takeSpans(spanCount);
  const raw = rawInserts(spans, join(dir, "ingest-raw.db"));
  progress(`ingest raw: ${Math.round(raw)} rows/s`);
  const readable = spans.map(toReadableSpan);
  const exporter = await exporterWrites(readable, join(dir, "ingest-exporter.db"));
  progress(`ingest exporter: ${Math.round(exporter)} spans/s`);
  const otlp = await otlpPosts(readable, join(dir, "ingest-otlp.db"));
  progress(`ingest otlp: ${Math.round(otlp.spansPerS)} spans/s, event loop p99 ${otlp.delayP99Ms} ms`);
  return {
    raw_rows_per_s: Math.round(raw),
    exporter_spans_per_s: Math.round(exporter),
    otlp_spans_per_s: Math.round(otlp.spansPerS),
    exporter_ratio: significant(Math.round(exporter) / Math.round(raw), 3),
    otlp_ratio: significant(Math.round(otlp.spansPerS) / Math.round(raw), 3),
    event_loop_delay_p99_ms: otlp.delayP99Ms,
  };
}

function takeSpans(count: number): SpanRecord[] {
  const spans: SpanRecord[] = [];
  for (const trace of generateTraces({ count: Math.ceil(count / 10), seed: SEED })) {
    spans.push(...trace.spans);
    if (spans.length >= count) break;
  }
  return spans.slice(0, count);
}

const batchesOf = <T>(items: readonly T[]): T[][] =>
  Array.from({ length: Math.ceil(items.length / BATCH) }, (_, index) =>
    items.slice(index * BATCH, (index + 1) * BATCH),
  );

function perSecond(count: number, startedMs: number): number {
  return (count * 1000) / (performance.now() - startedMs);
}

function expectStored(path: string, count: number) {
  const store = new TraceStore(path);
  const stored = store.db.prepare("SELECT COUNT(*) FROM spans").pluck().get() as number;
  store.close();
  if (stored !== count) throw new Error(`${path} holds ${stored} spans, not ${count}`);
}

function rawInserts(spans: readonly SpanRecord[], path: string): number {
  const rows = spans.map((span) => [
    span.traceId,
    span.spanId,
    span.parentSpanId,
    span.name,
    span.service,
    span.spanKind,
    span.oiKind,
    span.startNs,
    span.endNs,
    span.statusCode,
    span.statusMessage,
    JSON.stringify(span.attributes),
    JSON.stringify(span.events),
    JSON.stringify(span.links),
    JSON.stringify(span.resource),
    span.scope && JSON.stringify(span.scope),
  ]);
  const store = new TraceStore(path);
  const insert = store.db.prepare(`INSERT INTO spans VALUES (${Array(16).fill("?").join(", ")})`);
  const insertBatch = store.db.transaction((batch: unknown[][]) => {
    for (const row of batch) insert.run(row);
  });
  const started = performance.now();
  for (const batch of batchesOf(rows)) insertBatch(batch);
  const rate = perSecond(rows.length, started);
  store.close();
  expectStored(path, rows.length);
  return rate;
}

async function exporterWrites(spans: readonly ReadableSpan[], path: string): Promise<number> {
  const exporter = new SqliteSpanExporter(path);
  const exportBatch = (batch: ReadableSpan[]) =>
    new Promise<void>((resolve, reject) =>
      exporter.export(batch, (result: ExportResult) =>
        result.code === ExportResultCode.SUCCESS ? resolve() : reject(result.error),
      ),
    );
  await exportBatch([]); // opens the store and migrates it, outside the timing
  const started = performance.now();
  for (const batch of batchesOf(spans)) await exportBatch(batch);
  const rate = perSecond(spans.length, started);
  await exporter.shutdown();
  expectStored(path, spans.length);
  return rate;
}

/**
 * A few concurrent senders POST pre-encoded protobuf batches to the receiver in this process, until
 * its queue has drained into the store. The event-loop delay is what other requests would wait.
 */
async function otlpPosts(
  spans: readonly ReadableSpan[],
  path: string,
): Promise<{ spansPerS: number; delayP99Ms: number }> {
  // The serializer writes each request into a fresh ArrayBuffer, which fetch takes as a body.
  const bodies = batchesOf(spans).map(
    (batch) => ProtobufTraceSerializer.serializeRequest(batch) as Uint8Array<ArrayBuffer>,
  );
  const store = new TraceStore(path);
  const receiver = createOtlpReceiver(store);
  const server = express().use(receiver.router).listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let next = 0;
  const sender = async () => {
    for (let body = bodies[next++]; body; body = bodies[next++]) await post(url, body);
  };
  delay.enable();
  const started = performance.now();
  await Promise.all(Array.from({ length: OTLP_SENDERS }, sender));
  await receiver.flush();
  const spansPerS = perSecond(spans.length, started);
  await receiver.close();
  delay.disable();
  server.close();
  await once(server, "close");
  store.close();
  expectStored(path, spans.length);
  return { spansPerS, delayP99Ms: significant(delay.percentile(99) / 1e6, 3) };
}

/** One export request; a full queue (429) is retried shortly, as an OTLP exporter would. */
async function post(url: string, body: Uint8Array<ArrayBuffer>) {
  for (;;) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body,
    });
    await response.arrayBuffer();
    if (response.ok) return;
    if (response.status !== 429) throw new Error(`OTLP receiver answered ${response.status}`);
    await sleep(50);
  }
}
