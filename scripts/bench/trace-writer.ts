import type { SpanRecord } from "../../src/store/trace-store.ts";
import type { Random } from "./random.ts";

/** The four processes whose spans make up a trace, with resources shaped like the SDK's. */
export type Service = "incident-assistant" | "llm" | "mdm" | "sessions";

const RESOURCES: Record<Service, Record<string, unknown>> = {
  "incident-assistant": resource("incident-assistant"),
  llm: resource("llm"),
  mdm: resource("mdm"),
  sessions: resource("sessions"),
};

function resource(service: Service): Record<string, unknown> {
  return {
    "os.type": "linux",
    "os.version": "6.18.44",
    "host.name": "bench-host",
    "host.arch": "amd64",
    "host.id": "3d1219c7c4c5404aaa1f6d2a48adfda4",
    "service.name": service,
    "telemetry.sdk.language": "nodejs",
    "telemetry.sdk.name": "opentelemetry",
    "telemetry.sdk.version": "2.12.0",
  };
}

export const SCOPES = {
  assistant: { name: "incident-assistant" },
  undici: { name: "@opentelemetry/instrumentation-undici", version: "0.33.0" },
  mock: { name: "mock-tools" },
} as const;

export interface SpanDraft {
  name: string;
  parent: SpanRecord | null;
  service?: Service;
  spanKind?: "INTERNAL" | "CLIENT" | "SERVER";
  oiKind?: string;
  /** Milliseconds since the trace started. */
  startMs: number;
  endMs: number;
  attributes: Record<string, unknown>;
  statusCode?: SpanRecord["statusCode"];
  statusMessage?: string;
  /** Events at a time in ms since the trace started. */
  events?: { name: string; atMs: number; attributes?: Record<string, unknown> }[];
  links?: SpanRecord["links"];
  scope?: SpanRecord["scope"];
}

/** Collects the spans of one trace, turning millisecond offsets into epoch nanoseconds. */
export class TraceWriter {
  readonly spans: SpanRecord[] = [];
  readonly traceId: string;

  constructor(
    private readonly random: Random,
    private readonly startNs: bigint,
  ) {
    this.traceId = random.hex(32);
  }

  ns(offsetMs: number): bigint {
    return this.startNs + BigInt(Math.round(offsetMs * 1000)) * 1000n;
  }

  /** Milliseconds since the epoch, `offsetMs` after the trace started. */
  epochMs(offsetMs: number): number {
    return Number(this.ns(offsetMs) / 1_000_000n);
  }

  add(draft: SpanDraft): SpanRecord {
    const service = draft.service ?? "incident-assistant";
    const span: SpanRecord = {
      traceId: this.traceId,
      spanId: this.random.hex(16),
      parentSpanId: draft.parent?.spanId ?? null,
      name: draft.name,
      service,
      spanKind: draft.spanKind ?? "INTERNAL",
      oiKind: draft.oiKind ?? null,
      startNs: this.ns(draft.startMs),
      endNs: this.ns(draft.endMs),
      statusCode: draft.statusCode ?? "UNSET",
      statusMessage: draft.statusMessage ?? null,
      attributes: draft.oiKind
        ? { "openinference.span.kind": draft.oiKind, ...draft.attributes }
        : draft.attributes,
      events: (draft.events ?? []).map((event) => ({
        name: event.name,
        timeNs: this.ns(event.atMs).toString(),
        attributes: event.attributes ?? {},
      })),
      links: draft.links ?? [],
      resource: RESOURCES[service],
      scope: draft.scope ?? SCOPES.assistant,
    };
    this.spans.push(span);
    return span;
  }
}

/** An `exception` event, as the SDK's recordException writes it. */
export function exceptionEvent(timeNs: bigint, type: string, message: string): SpanRecord["events"][number] {
  return {
    name: "exception",
    timeNs: timeNs.toString(),
    attributes: {
      "exception.type": type,
      "exception.message": message,
      "exception.stacktrace": `${type}: ${message}\n    at Timeout._onTimeout (node:internal/abort_controller:129:9)\n    at listOnTimeout (node:internal/timers:581:17)\n    at process.processTimers (node:internal/timers:519:7)`,
    },
  };
}
