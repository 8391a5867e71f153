import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { fromOtlpJson, OtlpFormatError, toOtlpJson } from "../../src/store/otlp.ts";
import {
  decodeOtlpProtobuf,
  encodeExportTraceServiceResponse,
  OtlpProtobufError,
} from "../../src/store/otlp-protobuf.ts";
import type { SpanRecord } from "../../src/store/trace-store.ts";
import { toSpanRecord } from "../../src/telemetry/span-record.ts";
import { toReadableSpan } from "../../src/telemetry/readable-span.ts";
import { field } from "../helpers/protobuf.ts";

const TRACE_A = "4bf92f3577b34da6a3ce929d0e0e4736";
const TRACE_B = "0af7651916cd43dd8448eb211c80319c";
const ASSISTANT = { "service.name": "incident-assistant", "service.version": "0.1.0", "host.cpus": 8 };
const MDM = { "service.name": "mdm-service" };

function spanRecord(fields: Partial<SpanRecord> & Pick<SpanRecord, "spanId" | "name">): SpanRecord {
  return {
    traceId: TRACE_A,
    parentSpanId: null,
    service: "incident-assistant",
    spanKind: "INTERNAL",
    oiKind: null,
    startNs: 1_700_000_000_123_456_789n,
    endNs: 1_700_000_001_987_654_321n,
    statusCode: "UNSET",
    statusMessage: null,
    attributes: {},
    events: [],
    links: [],
    resource: ASSISTANT,
    scope: { name: "incident-assistant", version: "0.1.0" },
    ...fields,
  };
}

/** Three resources' worth of spans, in the order toOtlpJson groups them. */
const SPANS: SpanRecord[] = [
  spanRecord({
    spanId: "00f067aa0ba902b7",
    name: "answer_incident",
    spanKind: "SERVER",
    oiKind: "AGENT",
    attributes: {
      "openinference.span.kind": "AGENT",
      "input.value": "Who touched host-17?",
      "empty.string": "",
      "flag.true": true,
      "flag.false": false,
      "count.zero": 0,
      "count.positive": 42,
      "count.negative": -7,
      "count.max_safe": Number.MAX_SAFE_INTEGER,
      "ratio.double": 0.25,
      "ratio.negative": -1.5,
      "ratio.huge": 1e300,
      "ratio.infinite": Infinity,
      "list.strings": ["a", "b"],
      "list.ints": [1, 2, 3],
      "list.doubles": [0.5, 1.5],
      "list.bools": [true, false],
      "list.empty": [],
      "list.with_null": ["x", null],
      "map.nested": { model: "sim-large", tries: 2, tags: ["fast"] },
    },
    events: [
      { name: "retry", timeNs: "1700000000500000000", attributes: { attempt: 2, reason: "timeout" } },
      { name: "no-attributes", timeNs: "1700000000600000001", attributes: {} },
    ],
  }),
  spanRecord({
    spanId: "b7ad6b7169203331",
    parentSpanId: "00f067aa0ba902b7",
    name: "llm.classify",
    spanKind: "CLIENT",
    oiKind: "LLM",
    attributes: { "openinference.span.kind": "LLM", "llm.token_count.total": 311 },
    scope: { name: "openinference" },
  }),
  spanRecord({
    spanId: "c0ffee0000000001",
    parentSpanId: "00f067aa0ba902b7",
    name: "unscoped",
    scope: null,
  }),
  spanRecord({
    traceId: TRACE_A,
    spanId: "1234567890abcdef",
    parentSpanId: "b7ad6b7169203331",
    name: "GET /devices/{id}",
    service: "mdm-service",
    spanKind: "SERVER",
    statusCode: "ERROR",
    statusMessage: "device lookup timed out",
    resource: MDM,
    scope: { name: "mock-tools", version: "2.0.0" },
    links: [
      { traceId: TRACE_B, spanId: "fedcba0987654321", attributes: { "link.reason": "retry of" } },
      { traceId: TRACE_B, spanId: "0000000000000abc", attributes: {} },
    ],
  }),
  spanRecord({
    traceId: TRACE_B,
    spanId: "fedcba0987654321",
    name: "producer",
    service: "unknown_service",
    spanKind: "PRODUCER",
    statusCode: "OK",
    statusMessage: "",
    resource: {},
  }),
];

/** What actually travels: the JSON text, parsed again. */
const overTheWire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
const bySpanId = (a: SpanRecord, b: SpanRecord) => a.spanId.localeCompare(b.spanId);

describe("toOtlpJson", () => {
  const request = toOtlpJson(SPANS);

  it("groups spans by resource, then by scope", () => {
    expect(request.resourceSpans.map((group) => group.resource.attributes.map((pair) => pair.key))).toEqual([
      ["service.name", "service.version", "host.cpus"],
      ["service.name"],
      [],
    ]);
    expect(request.resourceSpans[0]?.scopeSpans.map((group) => [group.scope, group.spans.length])).toEqual([
      [{ name: "incident-assistant", version: "0.1.0" }, 1],
      [{ name: "openinference" }, 1],
      [undefined, 1],
    ]);
  });

  it("writes the OTLP/JSON encoding: hex ids, decimal-string nanos, enum numbers, typed values", () => {
    const mdmSpan = request.resourceSpans[1]?.scopeSpans[0]?.spans[0];
    expect(mdmSpan).toEqual({
      traceId: TRACE_A,
      spanId: "1234567890abcdef",
      parentSpanId: "b7ad6b7169203331",
      name: "GET /devices/{id}",
      kind: 2,
      startTimeUnixNano: "1700000000123456789",
      endTimeUnixNano: "1700000001987654321",
      attributes: [],
      events: [],
      links: [
        {
          traceId: TRACE_B,
          spanId: "fedcba0987654321",
          attributes: [{ key: "link.reason", value: { stringValue: "retry of" } }],
        },
        { traceId: TRACE_B, spanId: "0000000000000abc", attributes: [] },
      ],
      status: { code: 2, message: "device lookup timed out" },
    });

    const root = request.resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(root).not.toHaveProperty("parentSpanId");
    expect(root?.kind).toBe(2);
    expect(root?.status).toEqual({ code: 0 });
    expect(root?.events[0]).toEqual({
      timeUnixNano: "1700000000500000000",
      name: "retry",
      attributes: [
        { key: "attempt", value: { intValue: "2" } },
        { key: "reason", value: { stringValue: "timeout" } },
      ],
    });
    const values = Object.fromEntries(root?.attributes.map(({ key, value }) => [key, value]) ?? []);
    expect(values).toMatchObject({
      "flag.false": { boolValue: false },
      "count.negative": { intValue: "-7" },
      "count.max_safe": { intValue: "9007199254740991" },
      "ratio.double": { doubleValue: 0.25 },
      "ratio.huge": { doubleValue: 1e300 },
      "ratio.infinite": { doubleValue: "Infinity" },
      "list.ints": { arrayValue: { values: [{ intValue: "1" }, { intValue: "2" }, { intValue: "3" }] } },
      "list.empty": { arrayValue: { values: [] } },
      "list.with_null": { arrayValue: { values: [{ stringValue: "x" }, {}] } },
      "map.nested": {
        kvlistValue: {
          values: [
            { key: "model", value: { stringValue: "sim-large" } },
            { key: "tries", value: { intValue: "2" } },
            { key: "tags", value: { arrayValue: { values: [{ stringValue: "fast" }] } } },
          ],
        },
      },
    });
    expect(request.resourceSpans[2]?.scopeSpans[0]?.spans[0]?.kind).toBe(4);
  });

  it("gives every span hex ids and string times", () => {
    const spans = request.resourceSpans.flatMap((group) => group.scopeSpans.flatMap((scope) => scope.spans));
    expect(spans).toHaveLength(SPANS.length);
    for (const span of spans) {
      expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(span.startTimeUnixNano).toMatch(/^\d+$/);
      expect(span.endTimeUnixNano).toMatch(/^\d+$/);
    }
  });
});

describe("fromOtlpJson", () => {
  it("reads back exactly what toOtlpJson wrote", () => {
    expect(fromOtlpJson(overTheWire(toOtlpJson(SPANS)))).toEqual({ spans: SPANS, rejected: 0 });
  });

  it("keeps integers integers and doubles doubles", () => {
    const [root] = fromOtlpJson(overTheWire(toOtlpJson(SPANS))).spans;
    expect(Number.isInteger(root?.attributes["count.positive"])).toBe(true);
    expect(root?.attributes["ratio.double"]).toBe(0.25);
    expect(root?.attributes["list.bools"]).toEqual([true, false]);
  });

  it("accepts what other senders write: numbers for int64s, upper-case or base64 ids, omitted defaults", () => {
    const request = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "collector" } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: TRACE_A.toUpperCase(),
                  spanId: Buffer.from("00f067aa0ba902b7", "hex").toString("base64"),
                  parentSpanId: "",
                  startTimeUnixNano: 1_000,
                  endTimeUnixNano: "2000",
                  attributes: [
                    { key: "count", value: { intValue: 5 } },
                    { key: "blob", value: { bytesValue: "AAE=" } },
                    { key: "nothing" },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    expect(fromOtlpJson(request).spans).toEqual([
      {
        traceId: TRACE_A,
        spanId: "00f067aa0ba902b7",
        parentSpanId: null,
        name: "",
        service: "collector",
        spanKind: "INTERNAL",
        oiKind: null,
        startNs: 1000n,
        endNs: 2000n,
        statusCode: "UNSET",
        statusMessage: null,
        attributes: { count: 5, blob: "AAE=", nothing: null },
        events: [],
        links: [],
        resource: { "service.name": "collector" },
        scope: null,
      },
    ]);
  });

  it("rejects and counts spans with bad ids or values, keeping the rest", () => {
    const good = { traceId: TRACE_A, spanId: "00f067aa0ba902b7", name: "good" };
    const request = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                { ...good, traceId: "not-a-trace-id" },
                good,
                { ...good, spanId: "00f067aa0ba902b" },
                { ...good, traceId: "0".repeat(32) },
                { ...good, parentSpanId: "xyz" },
                { ...good, links: [{ traceId: TRACE_B, spanId: "short" }] },
                { ...good, kind: 9 },
                { ...good, attributes: [{ key: "n", value: { intValue: "12abc" } }] },
              ],
            },
          ],
        },
      ],
    };
    const result = fromOtlpJson(request);
    expect(result.spans.map((span) => span.name)).toEqual(["good"]);
    expect(result.spans[0]?.service).toBe("unknown_service");
    expect(result.rejected).toBe(7);
    expect(result.errorMessage).toBe(
      "7 span(s) rejected, the first for traceId: expected 32 hex characters, not all zero",
    );
  });

  it("throws OtlpFormatError when the envelope is not OTLP", () => {
    expect(() => fromOtlpJson("hello")).toThrow(OtlpFormatError);
    expect(() => fromOtlpJson({ resourceSpans: "all of them" })).toThrow(OtlpFormatError);
    expect(() => fromOtlpJson({ resourceSpans: [{ scopeSpans: [{ spans: 5 }] }] })).toThrow(
      "resourceSpans.0.scopeSpans.0.spans",
    );
    expect(fromOtlpJson({})).toEqual({ spans: [], rejected: 0 });
  });
});

describe("OTLP from the OpenTelemetry SDK", () => {
  async function sdkSpans() {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        "service.name": "external-service",
        "deployment.environment": "test",
      }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracer = provider.getTracer("otlp-test", "1.2.3");
    const root = tracer.startSpan("handle request", {
      kind: SpanKind.SERVER,
      attributes: {
        "openinference.span.kind": "CHAIN",
        "http.request.method": "POST",
        retries: 3,
        ratio: 0.5,
        cached: false,
        tags: ["a", "b"],
        codes: [200, 404],
      },
    });
    const child = tracer.startSpan(
      "lookup device",
      {
        kind: SpanKind.CLIENT,
        links: [{ context: root.spanContext(), attributes: { "link.kind": "follows" } }],
      },
      trace.setSpan(context.active(), root),
    );
    child.addEvent("cache miss", { key: "host-17", attempt: 2 });
    child.setStatus({ code: SpanStatusCode.ERROR, message: "upstream timed out" });
    child.end();
    provider.getTracer("unversioned").startSpan("background", { kind: SpanKind.CONSUMER }).end();
    root.end();
    await provider.forceFlush();
    return exporter.getFinishedSpans();
  }

  it("decodes the official protobuf serializer's request into the spans the SDK had", async () => {
    const spans = await sdkSpans();
    const bytes = ProtobufTraceSerializer.serializeRequest(spans);
    if (!bytes) throw new Error("the serializer produced nothing");

    const result = decodeOtlpProtobuf(bytes);

    expect(result.rejected).toBe(0);
    expect(result.spans).toHaveLength(3);
    expect(result.spans.sort(bySpanId)).toEqual(spans.map(toSpanRecord).sort(bySpanId));
    const child = result.spans.find((span) => span.name === "lookup device");
    const root = result.spans.find((span) => span.name === "handle request");
    expect(child?.parentSpanId).toBe(root?.spanId);
    expect(child?.statusCode).toBe("ERROR");
    expect(child?.events).toEqual([
      {
        name: "cache miss",
        timeNs: expect.stringMatching(/^\d{19}$/),
        attributes: { key: "host-17", attempt: 2 },
      },
    ]);
    expect(child?.links).toEqual([
      { traceId: root?.traceId, spanId: root?.spanId, attributes: { "link.kind": "follows" } },
    ]);
    expect(root?.oiKind).toBe("CHAIN");
    expect(root?.service).toBe("external-service");
  });

  it("reads the official JSON serializer's request (int64s as numbers) into the same spans", async () => {
    const spans = await sdkSpans();
    const text = new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans));

    const result = fromOtlpJson(JSON.parse(text));

    expect(result.spans).toHaveLength(3);
    expect(result.spans.sort(bySpanId)).toEqual(spans.map(toSpanRecord).sort(bySpanId));
  });
});

describe("OTLP protobuf", () => {
  it("decodes negative int64s and skips fields it does not know", () => {
    // Hand-encoded: one resource, one scope, one span with an int attribute of -7 (a 10-byte varint).
    const hex = (value: string) => Buffer.from(value, "hex");
    const fixed64 = (number: number, value: bigint) => {
      const bytes = Buffer.alloc(9);
      bytes[0] = number * 8 + 1;
      bytes.writeBigUInt64LE(value, 1);
      return bytes;
    };
    const minusSeven = Buffer.from([3 * 8, 0xf9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    const span = Buffer.concat([
      field(1, hex(TRACE_A)),
      field(2, hex("00f067aa0ba902b7")),
      field(5, Buffer.from("negative")),
      Buffer.from([6 * 8, 3]),
      fixed64(7, 5n),
      fixed64(8, 6n),
      field(9, Buffer.concat([field(1, Buffer.from("n")), field(2, minusSeven)])),
      Buffer.from([0x98, 0x06, 0x01]), // field 99, a varint: not in trace.proto
    ]);
    const request = field(1, field(2, field(2, span)));

    expect(decodeOtlpProtobuf(request).spans).toEqual([
      expect.objectContaining({
        traceId: TRACE_A,
        spanId: "00f067aa0ba902b7",
        name: "negative",
        spanKind: "CLIENT",
        startNs: 5n,
        endNs: 6n,
        attributes: { n: -7 },
      }),
    ]);
  });

  it("reads every value type the official serializer writes back into the records it was given", () => {
    const bytes = ProtobufTraceSerializer.serializeRequest(SPANS.map(toReadableSpan));
    if (!bytes) throw new Error("the serializer produced nothing");

    const result = decodeOtlpProtobuf(bytes);

    // An SDK span always has a scope, and protobuf cannot tell an empty status message from none.
    const expected = SPANS.map((span) => ({
      ...span,
      scope: span.scope ?? { name: "unknown" },
      statusMessage: span.statusMessage || null,
    }));
    expect(result.rejected).toBe(0);
    expect(result.spans.sort(bySpanId)).toEqual(expected.sort(bySpanId));
  });

  it("rejects and counts spans with bad ids or enums, keeping the rest", () => {
    const hex = (value: string) => Buffer.from(value, "hex");
    const span = (traceId: string, spanId: string, ...extra: Buffer[]) =>
      field(2, Buffer.concat([field(1, hex(traceId)), field(2, hex(spanId)), ...extra]));
    const good = ["00f067aa0ba902b7", field(5, Buffer.from("good"))] as const;
    const scopeSpans = Buffer.concat([
      span("abcd", ...good),
      span(TRACE_A, ...good),
      span("0".repeat(32), ...good),
      span(TRACE_A, "00f067aa0ba902", field(5, Buffer.from("short"))),
      span(TRACE_A, "00f067aa0ba902b7", field(4, hex("00"))),
      span(TRACE_A, "00f067aa0ba902b7", Buffer.from([6 * 8, 9])),
      span(TRACE_A, "00f067aa0ba902b7", field(15, Buffer.from([3 * 8, 7]))),
      span(
        TRACE_A,
        "00f067aa0ba902b7",
        field(13, Buffer.concat([field(1, hex(TRACE_B)), field(2, hex("ab"))])),
      ),
    ]);
    const request = field(1, field(2, scopeSpans));

    const result = decodeOtlpProtobuf(request);

    expect(result.spans.map((one) => one.name)).toEqual(["good"]);
    expect(result.spans[0]?.service).toBe("unknown_service");
    expect(result.rejected).toBe(7);
    expect(result.errorMessage).toBe(
      "7 span(s) rejected, the first for traceId: expected 32 hex characters, not all zero",
    );
  });

  it("throws OtlpProtobufError on truncated or mistyped bytes", () => {
    expect(() => decodeOtlpProtobuf(Buffer.from([0x0a, 0x10, 0x01]))).toThrow(OtlpProtobufError);
    expect(() => decodeOtlpProtobuf(Buffer.from([0x08, 0x01]))).toThrow("wire type 0 where 2 was expected");
    expect(() => decodeOtlpProtobuf(Buffer.from("not protobuf at all"))).toThrow(OtlpProtobufError);
  });

  it("encodes ExportTraceServiceResponse as the official deserializer reads it", () => {
    expect(encodeExportTraceServiceResponse()).toHaveLength(0);
    const encoded = encodeExportTraceServiceResponse({ rejectedSpans: 300, errorMessage: "1 span rejected" });
    expect(ProtobufTraceSerializer.deserializeResponse(encoded)).toEqual({
      partialSuccess: { rejectedSpans: 300, errorMessage: "1 span rejected" },
    });
  });
});
