import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { setImmediate as nextTurn } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import express from "express";
import { createOtlpReceiver } from "../../src/api/otlp-receiver.ts";
import { openTraceStore, type SpanRecord } from "../../src/store/trace-store.ts";
import { toSpanRow } from "../../src/store/records.ts";
import { SqliteTraceStore } from "../../src/store/sqlite-store.ts";
import { StoreSpanExporter } from "../../src/telemetry/store-span-exporter.ts";
import { loaderFlags, runnableModule } from "../../src/shared/module-form.ts";
import { generateSpans, spanBatches } from "./generate.ts";
import type { SenderSettings, SendersMessage } from "./otlp-senders.ts";
import { toReadableSpan } from "../../src/telemetry/readable-span.ts";
import { batchesOf, collectGarbage, EventLoopDelay, progress, significant } from "./stats.ts";
import { loadConfig } from "../../src/shared/config.ts";
import { isPostgresUrl } from "../../src/shared/postgres.ts";
import { answerPromptly } from "../../src/shared/thread-priority.ts";
import type { BenchStores } from "./stores.ts";

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
 * rows (the floor), the in-process exporter fed SDK spans, and the OTLP/HTTP receiver fed protobuf
 * (its senders generate the same spans from the same seed, in a process of their own).
 * The spans are as an SDK finishes them, raw payloads included (what another service posts over OTLP),
 * so the rows are the heavy ones: about 2.4 KB of attributes on average, 20 KB on a synthesis LLM span.
 */
export async function measureIngest(spanCount: number, stores: BenchStores): Promise<IngestResult> {
  const { raw, exporter } = await inProcessWrites(spanCount, stores);
  const otlp = await otlpPosts(spanCount, stores, await stores.location("ingest-otlp"));
  progress(`ingest otlp: ${Math.round(otlp.spansPerS)} spans/s, event loop p99 ${otlp.delayP99Ms} ms`);
  return {
    raw_rows_per_s: Math.round(raw),
    exporter_spans_per_s: Math.round(exporter.spansPerS),
    otlp_spans_per_s: Math.round(otlp.spansPerS),
    exporter_ratio: significant(Math.round(exporter.spansPerS) / Math.round(raw), 3),
    otlp_ratio: significant(Math.round(otlp.spansPerS) / Math.round(raw), 3),
    // The worse of the two ingest paths: either may share a thread with request handling.
    event_loop_delay_p99_ms: Math.max(exporter.delayP99Ms, otlp.delayP99Ms),
  };
}

interface IngestRun {
  spansPerS: number;
  /** p99 event-loop delay of the thread the spans arrive on (the exporter's, the API's) while it ran. */
  delayP99Ms: number;
}

interface OtlpRun extends IngestRun {
  /** Requests the receiver refused with 429 (each retried until accepted). */
  refused: number;
}

/** How hard the OTLP senders push: the bench's normal load, or an overload that keeps the queue full. */
export interface OtlpLoad {
  senders: number;
  /** The receiver's queue; a request that would overflow it is refused with 429. */
  maxQueuedSpans: number;
  /** How long a sender waits after a 429 before it sends the request again. */
  retryDelayMs: number;
}

const NORMAL_LOAD: OtlpLoad = { senders: OTLP_SENDERS, maxQueuedSpans: 50_000, retryDelayMs: 50 };

export interface OverloadResult {
  unloaded_spans_per_s: number;
  overloaded_spans_per_s: number;
  /** Overloaded over unloaded throughput: admission before decoding keeps it near 1. */
  ratio: number;
  refused_requests: number;
  event_loop_delay_p99_ms: number;
}

/**
 * The OTLP receiver unloaded, then overloaded: four times the senders, a queue of four requests, and
 * every 429 retried at once (a sender that ignores Retry-After). Refusing costs the receiver nothing
 * when it decides before decoding, so throughput should stay near the unloaded rate.
 */
export async function measureOverload(spanCount: number, stores: BenchStores): Promise<OverloadResult> {
  const unloaded = await otlpPosts(spanCount, stores, await stores.location("unloaded"));
  progress(`otlp unloaded: ${Math.round(unloaded.spansPerS)} spans/s`);
  const overloaded = await otlpPosts(spanCount, stores, await stores.location("overloaded"), {
    senders: OTLP_SENDERS * 4,
    maxQueuedSpans: BATCH * 4,
    retryDelayMs: 0,
  });
  progress(
    `otlp overloaded: ${Math.round(overloaded.spansPerS)} spans/s, ${overloaded.refused} requests refused`,
  );
  return {
    unloaded_spans_per_s: Math.round(unloaded.spansPerS),
    overloaded_spans_per_s: Math.round(overloaded.spansPerS),
    ratio: significant(overloaded.spansPerS / unloaded.spansPerS, 3),
    refused_requests: overloaded.refused,
    event_loop_delay_p99_ms: overloaded.delayP99Ms,
  };
}

/**
 * OTLP ingest through one and through two replicas on one store: each replica a receiver with its
 * own ingest worker, writer thread and connections, the senders taking turns between them.
 */
export async function measureReplicas(
  spanCount: number,
  stores: BenchStores,
): Promise<Record<"1" | "2", number>> {
  const one = await otlpPosts(spanCount, stores, await stores.location("replicas-1"), NORMAL_LOAD, 1);
  progress(`otlp through 1 replica: ${Math.round(one.spansPerS)} spans/s`);
  const two = await otlpPosts(spanCount, stores, await stores.location("replicas-2"), NORMAL_LOAD, 2);
  progress(`otlp through 2 replicas: ${Math.round(two.spansPerS)} spans/s`);
  return { "1": Math.round(one.spansPerS), "2": Math.round(two.spansPerS) };
}

/** The raw and exporter rates, on the same spans. */
async function inProcessWrites(spanCount: number, stores: BenchStores) {
  const raw = await rawInserts(generateSpans(spanCount, SEED), await stores.location("ingest-raw"));
  progress(`ingest raw: ${Math.round(raw)} rows/s`);
  const exporter = await exporterWrites(spanCount, await stores.location("ingest-exporter"));
  progress(
    `ingest exporter: ${Math.round(exporter.spansPerS)} spans/s, event loop p99 ${exporter.delayP99Ms} ms`,
  );
  return { raw, exporter };
}

function perSecond(count: number, startedMs: number): number {
  return (count * 1000) / (performance.now() - startedMs);
}

async function expectStored(path: string, count: number) {
  const store = await openTraceStore(path);
  const [row] = await store.select<{ spans: bigint }>("SELECT COUNT(*) AS spans FROM spans");
  const stored = Number(row?.spans);
  await store.close();
  if (stored !== count) throw new Error(`${path} holds ${stored} spans, not ${count}`);
}

/**
 * The floor: rows already serialized, inserted as cheaply as the engine allows. SQLite: prepared
 * INSERTs bound by position, one transaction per batch. PostgreSQL: the store's own multi-row INSERT.
 */
async function rawInserts(spans: readonly SpanRecord[], path: string): Promise<number> {
  const serialized = spans.map(toSpanRow);
  if (isPostgresUrl(path)) {
    const store = await openTraceStore(path);
    const started = performance.now();
    for (const batch of batchesOf(serialized, BATCH)) await store.addRows(batch);
    const rate = perSecond(serialized.length, started);
    await store.close();
    await expectStored(path, serialized.length);
    return rate;
  }
  const columns = Object.keys(serialized[0] ?? {});
  const rows = serialized.map((row) => Object.values(row));
  const store = new SqliteTraceStore(path);
  const insert = store.db.prepare(
    `INSERT INTO spans (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
  );
  const insertBatch = store.db.transaction((batch: unknown[][]) => {
    for (const row of batch) insert.run(row);
  });
  const started = performance.now();
  for (const batch of batchesOf(rows, BATCH)) insertBatch(batch);
  const rate = perSecond(rows.length, started);
  await store.close();
  await expectStored(path, rows.length);
  return rate;
}

/**
 * The exporter fed SDK batches as an application makes them: each batch is made between two exports,
 * outside the timing and the event-loop measurement, so the thread holds one batch at a time (holding
 * all 50,000 spans, the benchmark's own garbage collections set the p99).
 */
async function exporterWrites(spanCount: number, path: string): Promise<IngestRun> {
  // As in otlpPosts: in `serve` the exporter writes on the API's thread.
  answerPromptly();
  const exporter = new StoreSpanExporter(path);
  const exportBatch = (batch: ReadableSpan[]) =>
    new Promise<void>((resolve, reject) =>
      exporter.export(batch, (result: ExportResult) =>
        result.code === ExportResultCode.SUCCESS ? resolve() : reject(result.error),
      ),
    );
  await exportBatch([]); // opens the store and migrates it, outside the timing
  collectGarbage();
  const delay = new EventLoopDelay();
  let exportingMs = 0;
  for (const records of spanBatches(spanCount, SEED, BATCH)) {
    const batch = records.map(toReadableSpan);
    const started = performance.now();
    await delay.measuring(async () => {
      await exportBatch(batch);
      await nextTurn(); // the batch processor exports from a timer: other work runs in between
    });
    exportingMs += performance.now() - started;
  }
  await exporter.shutdown();
  await expectStored(path, spanCount);
  return {
    spansPerS: (spanCount * 1000) / exportingMs,
    delayP99Ms: delay.p99Ms(),
  };
}

/**
 * Starts the OTLP senders' process (scripts/bench/otlp-senders.ts), which lowers the priority of every
 * thread of its own once ready. As a thread of the receiver's process, the senders' garbage was
 * collected by the V8 helper threads the receiver shares, at normal priority.
 */
function startSenders(settings: SenderSettings): ChildProcess {
  const args = [
    ...loaderFlags(),
    fileURLToPath(runnableModule("scripts/bench/otlp-senders")),
    JSON.stringify(settings),
  ];
  return spawn(process.execPath, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

/** The senders' next message; rejects if their process exits first. */
async function messageFrom(senders: ChildProcess): Promise<SendersMessage> {
  const message = once(senders, "message") as Promise<[SendersMessage]>;
  const exit = once(senders, "exit").then(([code]) => {
    throw new Error(`the OTLP senders' process exited (${String(code)}) before answering`);
  });
  return (await Promise.race([message, exit]))[0];
}

/**
 * A few concurrent senders in a process of their own POST protobuf batches to the receiver in this
 * thread, until its queue has drained into the store. The event-loop delay is what other requests would wait.
 */
async function otlpPosts(
  spanCount: number,
  stores: BenchStores,
  path: string,
  load = NORMAL_LOAD,
  replicaCount = 1,
): Promise<OtlpRun> {
  const store = await openTraceStore(path);
  // This thread stands for `serve`'s API thread, which listenApi lets answer promptly.
  answerPromptly();
  // Governance on, as in production: the receiver governs what it stores.
  const config = loadConfig(stores.env(path));
  const replicas = await Promise.all(
    Array.from({ length: replicaCount }, async () => {
      const receiver = createOtlpReceiver(store, config, { maxQueuedSpans: load.maxQueuedSpans });
      const server = express().use(receiver.router).listen(0, "127.0.0.1");
      await once(server, "listening");
      return {
        receiver,
        server,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
      };
    }),
  );
  const settings: SenderSettings = {
    urls: replicas.map((replica) => replica.url),
    senders: load.senders,
    retryDelayMs: load.retryDelayMs,
    spanCount,
    seed: SEED,
    batchSpans: BATCH,
  };
  const senders = startSenders(settings);
  const exited = new Promise((resolve) => senders.once("exit", resolve));
  let measured: { spansPerS: number; refused: number; delay: EventLoopDelay };
  try {
    // Listening at once: a message no one listens for is lost. Handled now, awaited after the warm-up.
    const ready = messageFrom(senders);
    ready.catch(() => undefined);
    // An empty export starts each receiver's ingest worker, outside the timing, while the senders encode.
    for (const { url } of replicas) {
      const warmUp = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/x-protobuf" },
      });
      if (!warmUp.ok) throw new Error(`OTLP receiver answered ${warmUp.status}`);
    }
    await ready;
    collectGarbage();
    const delay = new EventLoopDelay();
    const started = performance.now();
    const refused = await delay.measuring(async () => {
      const done = messageFrom(senders);
      senders.send("start");
      const { refused } = (await done) as Exclude<SendersMessage, "ready">;
      await Promise.all(replicas.map(({ receiver }) => receiver.flush()));
      return refused;
    });
    measured = { spansPerS: perSecond(spanCount, started), refused, delay };
  } finally {
    // Done, or failed on either side: the senders' process must not outlive the run.
    senders.kill();
    await exited;
  }
  for (const { receiver, server } of replicas) {
    await receiver.close();
    server.close();
    await once(server, "close");
  }
  await store.close();
  await expectStored(path, spanCount);
  return { spansPerS: measured.spansPerS, delayP99Ms: measured.delay.p99Ms(), refused: measured.refused };
}
