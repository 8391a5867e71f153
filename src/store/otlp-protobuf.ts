/**
 * OTLP/protobuf for traces, by hand: @opentelemetry/otlp-transformer only ships a writer for SDK
 * spans, and these few messages do not justify a protobuf library. The decoder turns an
 * `ExportTraceServiceRequest` into its OTLP/JSON form (hex ids, decimal-string int64s), which
 * `fromOtlpJson` then validates. Field numbers are those of opentelemetry-proto's trace.proto,
 * common.proto and resource.proto; unknown fields are skipped, as protobuf requires.
 */
import type {
  AnyValueJson,
  ExportTraceServiceRequestJson,
  KeyValueJson,
  NonFiniteDouble,
  ResourceSpansJson,
  ScopeSpansJson,
  SpanJson,
} from "./otlp.ts";

/** Bytes that are not a protobuf encoding of the expected message. */
export class OtlpProtobufError extends Error {}

const WIRE = { varint: 0, fixed64: 1, lengthDelimited: 2, fixed32: 5 } as const;

/** Reads the fields of one message; each getter checks the wire type the schema expects. */
class FieldReader {
  private pos = 0;
  private wireType = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Calls `onField` with each field number; fields it does not read are skipped. */
  forEachField(onField: (field: number) => void) {
    while (this.pos < this.bytes.length) {
      const tag = this.varint();
      this.wireType = tag % 8;
      const start = this.pos;
      onField(Math.floor(tag / 8));
      if (this.pos === start) this.skip();
    }
  }

  uint(): number {
    this.expect(WIRE.varint);
    return this.varint();
  }

  /** An int64 as the JSON mapping writes it: a decimal string (negatives are 10-byte two's complement). */
  int64(): string {
    this.expect(WIRE.varint);
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = this.byte();
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asIntN(64, value).toString();
    }
  }

  fixed64(): string {
    this.expect(WIRE.fixed64);
    return this.view.getBigUint64(this.advance(8), true).toString();
  }

  double(): number {
    this.expect(WIRE.fixed64);
    return this.view.getFloat64(this.advance(8), true);
  }

  bytesField(): Uint8Array {
    this.expect(WIRE.lengthDelimited);
    const length = this.varint();
    return this.bytes.subarray(this.advance(length), this.pos);
  }

  string(): string {
    return Buffer.from(this.bytesField()).toString("utf8");
  }

  hex(): string {
    return Buffer.from(this.bytesField()).toString("hex");
  }

  message<T>(decode: (reader: FieldReader) => T): T {
    return decode(new FieldReader(this.bytesField()));
  }

  private expect(wireType: number) {
    if (this.wireType !== wireType)
      throw new OtlpProtobufError(`wire type ${this.wireType} where ${wireType} was expected`);
  }

  private skip() {
    if (this.wireType === WIRE.varint) this.varint();
    else if (this.wireType === WIRE.fixed64) this.advance(8);
    else if (this.wireType === WIRE.lengthDelimited) this.advance(this.varint());
    else if (this.wireType === WIRE.fixed32) this.advance(4);
    else throw new OtlpProtobufError(`unsupported wire type ${this.wireType}`);
  }

  /** A varint up to 2^53, which covers tags, lengths, enums and counts. */
  private varint(): number {
    let value = 0;
    for (let multiplier = 1; multiplier <= 2 ** 49; multiplier *= 128) {
      const byte = this.byte();
      value += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return value;
    }
    throw new OtlpProtobufError("varint too long");
  }

  private byte(): number {
    const byte = this.bytes[this.advance(1)];
    if (byte === undefined) throw new OtlpProtobufError("truncated message");
    return byte;
  }

  /** Moves past `length` bytes and returns where they start. */
  private advance(length: number): number {
    const start = this.pos;
    if (start + length > this.bytes.length) throw new OtlpProtobufError("truncated message");
    this.pos += length;
    return start;
  }
}

/** Decodes an OTLP/protobuf `ExportTraceServiceRequest` into the OTLP/JSON shape `fromOtlpJson` reads. */
export function decodeOtlpProtobuf(bytes: Uint8Array): ExportTraceServiceRequestJson {
  const request: ExportTraceServiceRequestJson = { resourceSpans: [] };
  const reader = new FieldReader(bytes);
  reader.forEachField((field) => {
    if (field === 1) request.resourceSpans.push(reader.message(decodeResourceSpans));
  });
  return request;
}

function decodeResourceSpans(reader: FieldReader): ResourceSpansJson {
  const resourceSpans: ResourceSpansJson = { resource: { attributes: [] }, scopeSpans: [] };
  reader.forEachField((field) => {
    if (field === 1) resourceSpans.resource = { attributes: reader.message(decodeAttributesOf(1)) };
    else if (field === 2) resourceSpans.scopeSpans.push(reader.message(decodeScopeSpans));
  });
  return resourceSpans;
}

function decodeScopeSpans(reader: FieldReader): ScopeSpansJson {
  const scopeSpans: ScopeSpansJson = { spans: [] };
  reader.forEachField((field) => {
    if (field === 1) scopeSpans.scope = reader.message(decodeScope);
    else if (field === 2) scopeSpans.spans.push(reader.message(decodeSpan));
  });
  return scopeSpans;
}

function decodeScope(reader: FieldReader): NonNullable<ScopeSpansJson["scope"]> {
  const scope: NonNullable<ScopeSpansJson["scope"]> = { name: "" };
  reader.forEachField((field) => {
    if (field === 1) scope.name = reader.string();
    else if (field === 2) scope.version = reader.string();
  });
  return scope;
}

function decodeSpan(reader: FieldReader): SpanJson {
  const span: SpanJson = {
    traceId: "",
    spanId: "",
    name: "",
    kind: 0,
    startTimeUnixNano: "0",
    endTimeUnixNano: "0",
    attributes: [],
    events: [],
    links: [],
    status: { code: 0 },
  };
  reader.forEachField((field) => {
    if (field === 1) span.traceId = reader.hex();
    else if (field === 2) span.spanId = reader.hex();
    else if (field === 4) span.parentSpanId = reader.hex();
    else if (field === 5) span.name = reader.string();
    else if (field === 6) span.kind = reader.uint();
    else if (field === 7) span.startTimeUnixNano = reader.fixed64();
    else if (field === 8) span.endTimeUnixNano = reader.fixed64();
    else if (field === 9) span.attributes.push(reader.message(decodeKeyValue));
    else if (field === 11) span.events.push(reader.message(decodeEvent));
    else if (field === 13) span.links.push(reader.message(decodeLink));
    else if (field === 15) span.status = reader.message(decodeStatus);
  });
  return span;
}

function decodeEvent(reader: FieldReader): SpanJson["events"][number] {
  const event: SpanJson["events"][number] = { timeUnixNano: "0", name: "", attributes: [] };
  reader.forEachField((field) => {
    if (field === 1) event.timeUnixNano = reader.fixed64();
    else if (field === 2) event.name = reader.string();
    else if (field === 3) event.attributes.push(reader.message(decodeKeyValue));
  });
  return event;
}

function decodeLink(reader: FieldReader): SpanJson["links"][number] {
  const link: SpanJson["links"][number] = { traceId: "", spanId: "", attributes: [] };
  reader.forEachField((field) => {
    if (field === 1) link.traceId = reader.hex();
    else if (field === 2) link.spanId = reader.hex();
    else if (field === 4) link.attributes.push(reader.message(decodeKeyValue));
  });
  return link;
}

function decodeStatus(reader: FieldReader): SpanJson["status"] {
  const status: SpanJson["status"] = { code: 0 };
  reader.forEachField((field) => {
    if (field === 2) status.message = reader.string();
    // An out-of-range code is passed on for fromOtlpJson to reject with the span.
    else if (field === 3) status.code = reader.uint() as SpanJson["status"]["code"];
  });
  return status;
}

/** Repeated KeyValue in field `fieldNumber`: Resource.attributes and KeyValueList.values. */
function decodeAttributesOf(fieldNumber: number) {
  return (reader: FieldReader): KeyValueJson[] => {
    const attributes: KeyValueJson[] = [];
    reader.forEachField((field) => {
      if (field === fieldNumber) attributes.push(reader.message(decodeKeyValue));
    });
    return attributes;
  };
}

function decodeKeyValue(reader: FieldReader): KeyValueJson {
  const keyValue: KeyValueJson = { key: "", value: {} };
  reader.forEachField((field) => {
    if (field === 1) keyValue.key = reader.string();
    else if (field === 2) keyValue.value = reader.message(decodeAnyValue);
  });
  return keyValue;
}

function decodeAnyValue(reader: FieldReader): AnyValueJson {
  let value: AnyValueJson = {};
  reader.forEachField((field) => {
    if (field === 1) value = { stringValue: reader.string() };
    else if (field === 2) value = { boolValue: reader.uint() !== 0 };
    else if (field === 3) value = { intValue: reader.int64() };
    else if (field === 4) value = { doubleValue: toJsonDouble(reader.double()) };
    else if (field === 5) value = { arrayValue: { values: reader.message(decodeArrayValues) } };
    else if (field === 6) value = { kvlistValue: { values: reader.message(decodeAttributesOf(1)) } };
    else if (field === 7) value = { bytesValue: Buffer.from(reader.bytesField()).toString("base64") };
  });
  return value;
}

function decodeArrayValues(reader: FieldReader): AnyValueJson[] {
  const values: AnyValueJson[] = [];
  reader.forEachField((field) => {
    if (field === 1) values.push(reader.message(decodeAnyValue));
  });
  return values;
}

function toJsonDouble(value: number): number | NonFiniteDouble {
  return Number.isFinite(value) ? value : (String(value) as NonFiniteDouble);
}

/**
 * An `ExportTraceServiceResponse`. Full success is the empty message, zero bytes; a partial success
 * sets partial_success (1) { rejected_spans int64 (1), error_message string (2) }.
 */
export function encodeExportTraceServiceResponse(partialSuccess?: {
  rejectedSpans: number;
  errorMessage: string;
}): Uint8Array {
  if (!partialSuccess) return new Uint8Array(0);
  const message = Buffer.from(partialSuccess.errorMessage, "utf8");
  const inner = Buffer.concat([
    tag(1, WIRE.varint),
    varint(partialSuccess.rejectedSpans),
    tag(2, WIRE.lengthDelimited),
    varint(message.length),
    message,
  ]);
  return Buffer.concat([tag(1, WIRE.lengthDelimited), varint(inner.length), inner]);
}

function tag(field: number, wireType: number): Uint8Array {
  return varint(field * 8 + wireType);
}

function varint(value: number): Uint8Array {
  const bytes: number[] = [];
  for (; value >= 0x80; value = Math.floor(value / 128)) bytes.push((value % 128) | 0x80);
  bytes.push(value);
  return Uint8Array.from(bytes);
}
