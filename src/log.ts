import { pino } from "pino";
import { trace } from "@opentelemetry/api";

/** JSON logs on stderr (stdout belongs to command output), each line carrying the active trace_id/span_id. */
export const log = pino(
  {
    level: process.env.LOG_LEVEL ?? "info",
    base: { service: process.env.OTEL_SERVICE_NAME ?? "incident-assistant" },
    mixin() {
      const context = trace.getActiveSpan()?.spanContext();
      return context ? { trace_id: context.traceId, span_id: context.spanId } : {};
    },
  },
  pino.destination(2),
);
