import { setImmediate as nextTurn } from "node:timers/promises";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { openTraceStore, type TraceStore } from "../store/trace-store.ts";
import { toSpanRecord } from "./span-record.ts";

/** Spans per transaction: a full SDK batch (512) written at once would hold the event loop for milliseconds. */
const WRITE_CHUNK_SPANS = 32;

/**
 * Writes finished spans to the trace store (TRACE_STORE), in small transactions that yield in
 * between; SQLite's WAL checkpoints run in a worker thread, off the event loop.
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
    const store = (this.store ??= await openTraceStore(this.path, { backgroundCheckpoints: true }));
    for (let start = 0; start < spans.length; start += WRITE_CHUNK_SPANS) {
      if (start > 0) await nextTurn();
      await store.addSpans(spans.slice(start, start + WRITE_CHUNK_SPANS).map(toSpanRecord));
    }
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
