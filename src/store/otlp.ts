/**
 * SpanRecords to and from OTLP/JSON `ExportTraceServiceRequest`s, per the OTLP spec's JSON mapping:
 * lowerCamelCase keys, hex ids, nanosecond times and int64 values as decimal strings, enums as numbers.
 */
import { z } from "zod";
import {
  invalidIdMessage,
  oiKindOf,
  otlpImport,
  serviceOf,
  SPAN_KINDS,
  STATUS_CODES,
  type OtlpImport,
} from "./otlp-common.ts";
import type { SpanRecord } from "./trace-store.ts";

export type AnyValueJson =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number | NonFiniteDouble }
  | { arrayValue: { values: AnyValueJson[] } }
  | { kvlistValue: { values: KeyValueJson[] } }
  | { bytesValue: string }
  | Record<string, never>;

/** The JSON mapping writes doubles that JSON numbers cannot hold as these strings. */
export type NonFiniteDouble = "NaN" | "Infinity" | "-Infinity";

export interface KeyValueJson {
  key: string;
  value: AnyValueJson;
}

export interface SpanJson {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KeyValueJson[];
  events: { timeUnixNano: string; name: string; attributes: KeyValueJson[] }[];
  links: { traceId: string; spanId: string; attributes: KeyValueJson[] }[];
  status: { code: 0 | 1 | 2; message?: string };
}

export interface ScopeSpansJson {
  scope?: { name: string; version?: string };
  spans: SpanJson[];
}

export interface ResourceSpansJson {
  resource: { attributes: KeyValueJson[] };
  scopeSpans: ScopeSpansJson[];
}

export interface ExportTraceServiceRequestJson {
  resourceSpans: ResourceSpansJson[];
}

/** A request whose envelope (resourceSpans → scopeSpans → spans) is not OTLP at all. */
export class OtlpFormatError extends Error {}

export function toOtlpJson(spans: readonly SpanRecord[]): ExportTraceServiceRequestJson {
  const resources = new Map<
    string,
    { resource: SpanRecord["resource"]; scopes: Map<string, ScopeSpansJson> }
  >();
  for (const span of spans) {
    const resourceKey = canonicalKey(span.resource);
    let group = resources.get(resourceKey);
    if (!group) resources.set(resourceKey, (group = { resource: span.resource, scopes: new Map() }));
    const scopeKey = JSON.stringify(span.scope && [span.scope.name, span.scope.version]);
    let scopeSpans = group.scopes.get(scopeKey);
    if (!scopeSpans) group.scopes.set(scopeKey, (scopeSpans = { ...toScopeJson(span.scope), spans: [] }));
    scopeSpans.spans.push(toSpanJson(span));
  }
  return {
    resourceSpans: [...resources.values()].map(({ resource, scopes }) => ({
      resource: { attributes: toKeyValues(resource) },
      scopeSpans: [...scopes.values()],
    })),
  };
}

/** Resources are grouped by content, whatever order their attributes were set in. */
function canonicalKey(attributes: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(attributes)
      .sort()
      .map((key) => [key, attributes[key]]),
  );
}

function toScopeJson(scope: SpanRecord["scope"]): Pick<ScopeSpansJson, "scope"> {
  if (!scope) return {};
  return { scope: { name: scope.name, ...(scope.version !== undefined && { version: scope.version }) } };
}

function toSpanJson(span: SpanRecord): SpanJson {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    ...(span.parentSpanId && { parentSpanId: span.parentSpanId }),
    name: span.name,
    kind: Math.max(SPAN_KINDS.indexOf(span.spanKind, 1), 0),
    startTimeUnixNano: span.startNs.toString(),
    endTimeUnixNano: span.endNs.toString(),
    attributes: toKeyValues(span.attributes),
    events: span.events.map((event) => ({
      timeUnixNano: event.timeNs,
      name: event.name,
      attributes: toKeyValues(event.attributes),
    })),
    links: span.links.map((link) => ({
      traceId: link.traceId,
      spanId: link.spanId,
      attributes: toKeyValues(link.attributes),
    })),
    status: {
      code: STATUS_CODES.indexOf(span.statusCode) as 0 | 1 | 2,
      ...(span.statusMessage !== null && { message: span.statusMessage }),
    },
  };
}

function toKeyValues(attributes: Record<string, unknown>): KeyValueJson[] {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: toAnyValue(value) }));
}

function toAnyValue(value: unknown): AnyValueJson {
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  if (typeof value === "number") {
    // Integers come back as integers only when sent as intValue; larger ones stay exact as doubles.
    if (Number.isSafeInteger(value)) return { intValue: value.toString() };
    return { doubleValue: Number.isFinite(value) ? value : (String(value) as NonFiniteDouble) };
  }
  if (value instanceof Uint8Array) return { bytesValue: Buffer.from(value).toString("base64") };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(toAnyValue) } };
  if (typeof value === "object" && value !== null)
    return { kvlistValue: { values: toKeyValues(value as Record<string, unknown>) } };
  return {};
}

// --- OTLP/JSON → SpanRecord ---------------------------------------------------------------------

const int64 = z.union([z.string().regex(/^-?\d+$/, { error: "expected an integer" }), z.number().int()]);
const nanos = z
  .union([
    z.string().regex(/^\d+$/, { error: "expected nanoseconds as a decimal string" }),
    z.number().int().min(0),
  ])
  .transform((value) => BigInt(value));

const anyValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([
    z.object({ stringValue: z.string() }).transform((value) => value.stringValue),
    z.object({ boolValue: z.boolean() }).transform((value) => value.boolValue),
    // Beyond 2^53 an int64 loses precision here, as it does in the SDK's own number attributes.
    z.object({ intValue: int64 }).transform((value) => Number(value.intValue)),
    z
      .object({ doubleValue: z.union([z.number(), z.enum(["NaN", "Infinity", "-Infinity"])]) })
      .transform((value) => Number(value.doubleValue)),
    z
      .object({ arrayValue: z.object({ values: z.array(anyValue).default([]) }) })
      .transform((value) => value.arrayValue.values),
    z.object({ kvlistValue: z.object({ values: keyValues }) }).transform((value) => value.kvlistValue.values),
    // The store holds JSON, so bytes stay in their base64 JSON form.
    z.object({ bytesValue: z.string() }).transform((value) => value.bytesValue),
    z.strictObject({}).transform(() => null),
  ]),
);

const keyValues = z
  .array(z.object({ key: z.string(), value: anyValue.optional() }))
  .default([])
  .transform((pairs) => Object.fromEntries(pairs.map(({ key, value }) => [key, value ?? null])));

/** A hex id of `bytes` bytes, lowercased; base64 (what protobuf-to-JSON tools emit) is accepted too. */
function id(bytes: number) {
  return z.string().transform((value, ctx) => {
    const hex = /^[0-9a-f]+$/i.test(value)
      ? value.toLowerCase()
      : Buffer.from(value, "base64").toString("hex");
    if (hex.length === bytes * 2 && !/^0+$/.test(hex)) return hex;
    ctx.addIssue(invalidIdMessage(bytes));
    return z.NEVER;
  });
}

const traceId = id(16);
const spanId = id(8);

const spanKind = z.number().transform((value, ctx) => {
  const kind = SPAN_KINDS[value];
  if (kind) return kind;
  ctx.addIssue(`unknown span kind ${value}`);
  return z.NEVER;
});

const statusCode = z.number().transform((value, ctx) => {
  const code = STATUS_CODES[value];
  if (code) return code;
  ctx.addIssue(`unknown status code ${value}`);
  return z.NEVER;
});

// Proto3's JSON mapping may leave out any field holding its default value: every field is optional.
const spanSchema = z.object({
  traceId: traceId,
  spanId: spanId,
  parentSpanId: z.union([z.literal(""), spanId]).optional(),
  name: z.string().default(""),
  kind: spanKind.default("INTERNAL"),
  startTimeUnixNano: nanos.default(0n),
  endTimeUnixNano: nanos.default(0n),
  attributes: keyValues,
  events: z
    .array(z.object({ timeUnixNano: nanos.default(0n), name: z.string().default(""), attributes: keyValues }))
    .default([]),
  links: z.array(z.object({ traceId: traceId, spanId: spanId, attributes: keyValues })).default([]),
  status: z.object({ code: statusCode.default("UNSET"), message: z.string().optional() }).prefault({}),
});

const requestSchema = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: z.object({ attributes: keyValues }).prefault({}),
        scopeSpans: z
          .array(
            z.object({
              scope: z.object({ name: z.string().default(""), version: z.string().optional() }).optional(),
              spans: z.array(z.unknown()).default([]),
            }),
          )
          .default([]),
      }),
    )
    .default([]),
});

/**
 * Reads an OTLP/JSON request. A span that is not valid OTLP is
 * left out and counted in `rejected`; an envelope that is not OTLP throws an OtlpFormatError.
 */
export function fromOtlpJson(request: unknown): OtlpImport {
  const envelope = requestSchema.safeParse(request);
  if (!envelope.success) throw new OtlpFormatError(describeIssue(envelope.error));
  const spans: SpanRecord[] = [];
  const rejections: string[] = [];
  for (const { resource, scopeSpans } of envelope.data.resourceSpans) {
    for (const { scope, spans: rawSpans } of scopeSpans) {
      for (const rawSpan of rawSpans) {
        const span = spanSchema.safeParse(rawSpan);
        if (span.success) spans.push(toSpanRecord(span.data, resource.attributes, scope));
        else rejections.push(describeIssue(span.error));
      }
    }
  }
  return otlpImport(spans, rejections);
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue?.path.join(".");
  return path ? `${path}: ${issue?.message}` : (issue?.message ?? "invalid OTLP");
}

function toSpanRecord(
  span: z.infer<typeof spanSchema>,
  resource: Record<string, unknown>,
  scope: { name: string; version?: string | undefined } | undefined,
): SpanRecord {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId || null,
    name: span.name,
    service: serviceOf(resource),
    spanKind: span.kind,
    oiKind: oiKindOf(span.attributes),
    startNs: span.startTimeUnixNano,
    endNs: span.endTimeUnixNano,
    statusCode: span.status.code,
    statusMessage: span.status.message ?? null,
    attributes: span.attributes,
    events: span.events.map((event) => ({
      name: event.name,
      timeNs: event.timeUnixNano.toString(),
      attributes: event.attributes,
    })),
    links: span.links,
    resource,
    scope: scope ? { name: scope.name, ...(scope.version && { version: scope.version }) } : null,
  };
}
