import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { TraceStore } from "../store/trace-store.ts";
import { toSpanRecord } from "./span-record.ts";

/** Writes finished spans to the local SQLite trace store, one transaction per batch. */
export class SqliteSpanExporter implements SpanExporter {
  private store: TraceStore | undefined;

  constructor(private readonly path: string) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    try {
      this.store ??= new TraceStore(this.path);
      this.store.addSpans(spans.map(toSpanRecord));
      done({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  async shutdown(): Promise<void> {
    this.store?.close();
    this.store = undefined;
  }

  async forceFlush(): Promise<void> {}
}
