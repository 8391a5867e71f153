import { metrics } from "@opentelemetry/api";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { log } from "../instrumentation/log.ts";

const WARNING_INTERVAL_MS = 60_000;

export type Warn = (fields: Record<string, unknown>, message: string) => void;

/**
 * Says when spans are lost instead of dropping them in silence (an OTLP endpoint that is down, a
 * store that cannot be written): every export counts its spans in `otel.sdk.exporter.span.exported`
 * (with `error.type` when they were dropped, on /metrics), and failures are logged at most once a minute.
 */
export class ReportedSpanExporter implements SpanExporter {
  private droppedSinceWarning = 0;
  private lastWarningAt = -Infinity;

  constructor(
    private readonly inner: SpanExporter,
    /** `otel.component.name`: which exporter this is. */
    private readonly name: string,
    private readonly warn: Warn = (fields, message) => log.warn(fields, message),
    private readonly now: () => number = Date.now,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      this.report(spans.length, result);
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }

  private report(spans: number, result: ExportResult) {
    const failed = result.code !== ExportResultCode.SUCCESS;
    const errorType = failed ? (result.error?.name ?? "export_failed") : undefined;
    exportedSpans().add(spans, {
      "otel.component.name": this.name,
      ...(errorType && { "error.type": errorType }),
    });
    if (!failed) return;
    this.droppedSinceWarning += spans;
    const now = this.now();
    if (now - this.lastWarningAt < WARNING_INTERVAL_MS) return;
    this.warn(
      { exporter: this.name, dropped_spans: this.droppedSinceWarning, reason: result.error?.message },
      "telemetry export failed: spans dropped",
    );
    this.lastWarningAt = now;
    this.droppedSinceWarning = 0;
  }
}

let counter: ReturnType<typeof createCounter> | undefined;
/** Created at the first export: this module loads before NodeSDK registers the meter provider. */
const exportedSpans = () => (counter ??= createCounter());

function createCounter() {
  return metrics.getMeter("incident-assistant").createCounter("otel.sdk.exporter.span.exported", {
    description: "Spans each exporter handled; those with error.type were dropped",
    unit: "{span}",
  });
}
