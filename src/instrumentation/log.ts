import { pino } from "pino";
import { trace } from "@opentelemetry/api";
import { loadConfig, SETTINGS, type Config } from "../shared/config.ts";
import { governanceFor, type Governance } from "../governance/runtime.ts";

let governance: Governance | undefined;

/**
 * Gives the log the governance of the validated configuration; the telemetry set-up calls it once
 * the configuration has passed. A process without that set-up (a test, the bench) reads the
 * configuration on the first log line instead: importing this module must not fail on a bad one,
 * which is also why the level below is LOG_LEVEL checked by the configuration's own schema.
 */
export function configureLog(config: Config) {
  governance = governanceFor(config);
}

/** Log values go through the same redaction and pseudonymization as the always-kept trace tier. */
function safe(value: unknown): unknown {
  governance ??= governanceFor(loadConfig());
  if (typeof value === "string") return governance.safeText(value);
  if (Array.isArray(value)) return value.map(safe);
  if (value instanceof Error)
    return { type: value.name, message: safe(value.message), stack: safe(value.stack) };
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, safe(item)]));
  }
  return value;
}

/** JSON logs on stderr (stdout belongs to command output), each line carrying the active trace_id/span_id. */
export const log = pino(
  {
    level: SETTINGS.logLevel.schema.catch(SETTINGS.logLevel.default).parse(process.env.LOG_LEVEL),
    base: { service: process.env.OTEL_SERVICE_NAME ?? "incident-assistant" },
    mixin() {
      const context = trace.getActiveSpan()?.spanContext();
      return context ? { trace_id: context.traceId, span_id: context.spanId } : {};
    },
    formatters: { log: (object) => safe(object) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((arg) => (typeof arg === "string" ? safe(arg) : arg)) as typeof args);
      },
    },
  },
  pino.destination(2),
);
