import { setImmediate as nextTurn } from "node:timers/promises";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { openTraceStore, type SpanRow, type TraceStore } from "../store/trace-store.ts";
import { toSpanRow } from "../store/records.ts";
import { toSpanRecord } from "./span-record.ts";

/**
 * Spans serialized (and, on SQLite, committed) in one step, between two turns of the event loop: a full
 * SDK batch (512) would hold it for milliseconds. Bounded in bytes too: a step of synthesis LLM spans
 * (20 KB each) took several times as long as one of tool spans.
 */
const WRITE_STEP = { spans: 32, bytes: 32 * 1024 };

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
    let step: SpanRow[] = [];
    let stepBytes = 0;
    for (const [index, span] of spans.entries()) {
      const row = toSpanRow(toSpanRecord(span));
      step.push(row);
      stepBytes += row.attributes.length + row.events.length;
      const last = index === spans.length - 1;
      if (!last && step.length < WRITE_STEP.spans && stepBytes < WRITE_STEP.bytes) continue;
      if (store.dialect === "sqlite") await store.addRows(step);
      else rows.push(...step);
      [step, stepBytes] = [[], 0];
      if (!last) await nextTurn();
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
