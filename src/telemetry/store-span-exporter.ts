import { setImmediate as nextTurn } from "node:timers/promises";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { openTraceStore, type SpanRow, type TraceStore } from "../store/trace-store.ts";
import { toSpanRow } from "../store/records.ts";
import { toSpanRecord } from "./span-record.ts";

/** Spans serialized (and, on SQLite, committed) at a time: a full SDK batch (512) would hold the event loop for milliseconds. */
const WRITE_CHUNK_SPANS = 32;

/**
 * Writes finished spans to the trace store (TRACE_STORE) in small steps that yield in between.
 * SQLite commits on this thread: one small transaction per step, its WAL checkpoints in a worker
 * thread. PostgreSQL commits in its own process: the steps only serialize, and the batch goes in one
 * statement, one round trip instead of sixteen.
 */
export class StoreSpanExporter implements SpanExporter {
  private store: TraceStore | undefined;
  private pending = Promise.resolve();

  constructor(private readonly path: string) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.pending = this.pending
      .then(() => this.write(spans))
      .then(
        () => done({ code: ExportResultCode.SUCCESS }),
        (error: unknown) => done({ code: ExportResultCode.FAILED, error: error as Error }),
      );
  }

  private async write(spans: readonly ReadableSpan[]) {
    // One export at a time: one connection is all it uses.
    this.store ??= await openTraceStore(this.path, { backgroundCheckpoints: true, maxConnections: 1 });
    const store = this.store;
    const rows: SpanRow[] = [];
    for (let start = 0; start < spans.length; start += WRITE_CHUNK_SPANS) {
      if (start > 0) await nextTurn();
      const chunk = spans
        .slice(start, start + WRITE_CHUNK_SPANS)
        .map((span) => toSpanRow(toSpanRecord(span)));
      if (store.dialect === "sqlite") await store.addRows(chunk);
      else rows.push(...chunk);
    }
    await store.addRows(rows);
  }

  async shutdown(): Promise<void> {
    await this.pending;
    await this.store?.close();
    this.store = undefined;
  }

  async forceFlush(): Promise<void> {
    await this.pending;
  }
}
