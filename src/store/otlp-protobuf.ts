/**
 * OTLP/protobuf for traces, by hand: @opentelemetry/otlp-transformer only ships a writer for SDK
 * spans, and these few messages do not justify a protobuf library. The decoder reads an
 * `ExportTraceServiceRequest` straight into SpanRecords, checking what the wire format cannot
 * (id lengths, enum ranges) as it goes, without an intermediate tree. Field numbers are those of
 * opentelemetry-proto's trace.proto, common.proto and resource.proto; unknown fields are skipped,
 * as protobuf requires.
 */
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

/** Bytes that are not a protobuf encoding of the expected message. */
export class OtlpProtobufError extends Error {}

const WIRE = { varint: 0, fixed64: 1, lengthDelimited: 2, fixed32: 5 } as const;

/** Reads the fields of one message, a window on the request's bytes; each getter checks the wire type. */
class FieldReader {
  private wireType = 0;

  constructor(
    private readonly bytes: Buffer,
    private pos = 0,
    private readonly end = bytes.length,
  ) {}

  /** Calls `onField` with each field number; fields it does not read are skipped. */
  forEachField(onField: (field: number) => void) {
    while (this.pos < this.end) {
      const tag = this.varint();
      this.wireType = tag & 7;
      const start = this.pos;
      onField(tag >>> 3);
      if (this.pos === start) this.skip();
    }
  }

  uint(): number {
    this.expect(WIRE.varint);
    return this.varint();
  }

  /** An int64 as a number (beyond 2^53 it loses precision, as the SDK's own number attributes do). */
  int64(): number {
    this.expect(WIRE.varint);
    const start = this.pos;
    const value = this.varint();
    // Negative values are ten-byte two's complement, beyond what a double reads exactly.
    if (this.pos - start < 10) return value;
    let wide = 0n;
    for (let index = 0; index < 10; index++) {
      wide |= BigInt((this.bytes[start + index] ?? 0) & 0x7f) << BigInt(7 * index);
    }
    return Number(BigInt.asIntN(64, wide));
  }

  fixed64(): bigint {
    this.expect(WIRE.fixed64);
    return this.bytes.readBigUInt64LE(this.advance(8));
  }

  double(): number {
    this.expect(WIRE.fixed64);
    return this.bytes.readDoubleLE(this.advance(8));
  }

  /** A length-delimited field's bytes as `encoding` text. */
  text(encoding: "utf8" | "hex" | "base64"): string {
    this.expect(WIRE.lengthDelimited);
    const length = this.varint();
    return this.bytes.toString(encoding, this.advance(length), this.pos);
  }

  message<T>(decode: (reader: FieldReader) => T): T {
    this.expect(WIRE.lengthDelimited);
    const length = this.varint();
    return decode(new FieldReader(this.bytes, this.advance(length), this.pos));
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

  /** A varint, exact up to 2^53, which covers tags, lengths, enums and counts; ten bytes at most. */
  private varint(): number {
    let value = 0;
    for (let multiplier = 1, count = 0; count < 10; multiplier *= 128, count++) {
      const byte = this.bytes[this.advance(1)] as number;
      value += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return value;
    }
    throw new OtlpProtobufError("varint too long");
  }

  /** Moves past `length` bytes of this message and returns where they start. */
  private advance(length: number): number {
    const start = this.pos;
    if (start + length > this.end) throw new OtlpProtobufError("truncated message");
    this.pos += length;
    return start;
  }
}

/**
 * Decodes an OTLP/protobuf `ExportTraceServiceRequest`. A span that breaks OTLP's rules is left out
 * and counted; bytes that are not such a request at all throw an OtlpProtobufError.
 */
export function decodeOtlpProtobuf(bytes: Uint8Array): OtlpImport {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const spans: SpanRecord[] = [];
  const rejections: string[] = [];
  const reader = new FieldReader(buffer);
  reader.forEachField((field) => {
    if (field !== 1) return;
    const { resource, decoded } = reader.message(decodeResourceSpans);
    for (const span of decoded) {
      if (typeof span === "string") {
        rejections.push(span);
        continue;
      }
      span.resource = resource;
      span.service = serviceOf(resource);
      spans.push(span);
    }
  });
  return otlpImport(spans, rejections);
}

/** A span, or why it was rejected. Its resource is filled in by the caller. */
type DecodedSpan = SpanRecord | string;

function decodeResourceSpans(reader: FieldReader) {
  let resource: Record<string, unknown> = {};
  const decoded: DecodedSpan[] = [];
  reader.forEachField((field) => {
    if (field === 1) resource = reader.message(decodeAttributesOf(1));
    else if (field === 2) decoded.push(...reader.message(decodeScopeSpans));
  });
  return { resource, decoded };
}

function decodeScopeSpans(reader: FieldReader): DecodedSpan[] {
  let scope: SpanRecord["scope"] = null;
  const decoded: DecodedSpan[] = [];
  reader.forEachField((field) => {
    if (field === 1) scope = reader.message(decodeScope);
    else if (field === 2) decoded.push(reader.message(decodeSpan));
  });
  for (const span of decoded) if (typeof span !== "string") span.scope = scope;
  return decoded;
}

function decodeScope(reader: FieldReader): NonNullable<SpanRecord["scope"]> {
  let name = "";
  let version = "";
  reader.forEachField((field) => {
    if (field === 1) name = reader.text("utf8");
    else if (field === 2) version = reader.text("utf8");
  });
  return version ? { name, version } : { name };
}

function decodeSpan(reader: FieldReader): DecodedSpan {
  const span: SpanRecord = {
    traceId: "",
    spanId: "",
    parentSpanId: null,
    name: "",
    service: "",
    spanKind: "INTERNAL",
    oiKind: null,
    startNs: 0n,
    endNs: 0n,
    statusCode: "UNSET",
    statusMessage: null,
    attributes: {},
    events: [],
    links: [],
    resource: {},
    scope: null,
  };
  let kind = 0;
  let status: { code: number; message: string | null } = { code: 0, message: null };
  reader.forEachField((field) => {
    if (field === 1) span.traceId = reader.text("hex");
    else if (field === 2) span.spanId = reader.text("hex");
    else if (field === 4) span.parentSpanId = reader.text("hex") || null;
    else if (field === 5) span.name = reader.text("utf8");
    else if (field === 6) kind = reader.uint();
    else if (field === 7) span.startNs = reader.fixed64();
    else if (field === 8) span.endNs = reader.fixed64();
    else if (field === 9) decodeKeyValueInto(reader, span.attributes);
    else if (field === 11) span.events.push(reader.message(decodeEvent));
    else if (field === 13) span.links.push(reader.message(decodeLink));
    else if (field === 15) status = reader.message(decodeStatus);
  });
  const idIssue = idsIssue(span);
  if (idIssue) return idIssue;
  const spanKind = SPAN_KINDS[kind];
  if (!spanKind) return `kind: unknown span kind ${kind}`;
  const statusCode = STATUS_CODES[status.code];
  if (!statusCode) return `status.code: unknown status code ${status.code}`;
  span.spanKind = spanKind;
  span.statusCode = statusCode;
  span.statusMessage = status.message;
  span.oiKind = oiKindOf(span.attributes);
  return span;
}

/** The first id of the span or its links that is not a valid OTLP id, as "field: reason". */
function idsIssue(span: SpanRecord): string | undefined {
  const ids = [
    { field: "traceId", hex: span.traceId, bytes: 16 },
    { field: "spanId", hex: span.spanId, bytes: 8 },
    ...(span.parentSpanId === null ? [] : [{ field: "parentSpanId", hex: span.parentSpanId, bytes: 8 }]),
    ...span.links.flatMap((link, index) => [
      { field: `links.${index}.traceId`, hex: link.traceId, bytes: 16 },
      { field: `links.${index}.spanId`, hex: link.spanId, bytes: 8 },
    ]),
  ];
  const invalid = ids.find(({ hex, bytes }) => hex.length !== bytes * 2 || /^0+$/.test(hex));
  return invalid && `${invalid.field}: ${invalidIdMessage(invalid.bytes)}`;
}

function decodeEvent(reader: FieldReader): SpanRecord["events"][number] {
  const event: SpanRecord["events"][number] = { name: "", timeNs: "0", attributes: {} };
  reader.forEachField((field) => {
    if (field === 1) event.timeNs = reader.fixed64().toString();
    else if (field === 2) event.name = reader.text("utf8");
    else if (field === 3) decodeKeyValueInto(reader, event.attributes);
  });
  return event;
}

function decodeLink(reader: FieldReader): SpanRecord["links"][number] {
  const link: SpanRecord["links"][number] = { traceId: "", spanId: "", attributes: {} };
  reader.forEachField((field) => {
    if (field === 1) link.traceId = reader.text("hex");
    else if (field === 2) link.spanId = reader.text("hex");
    else if (field === 4) decodeKeyValueInto(reader, link.attributes);
  });
  return link;
}

function decodeStatus(reader: FieldReader): { code: number; message: string | null } {
  const status: { code: number; message: string | null } = { code: 0, message: null };
  reader.forEachField((field) => {
    if (field === 2) status.message = reader.text("utf8");
    else if (field === 3) status.code = reader.uint();
  });
  return status;
}

/** Repeated KeyValue in field `fieldNumber` (Resource.attributes, KeyValueList.values) as an object. */
function decodeAttributesOf(fieldNumber: number) {
  return (reader: FieldReader): Record<string, unknown> => {
    const attributes: Record<string, unknown> = {};
    reader.forEachField((field) => {
      if (field === fieldNumber) decodeKeyValueInto(reader, attributes);
    });
    return attributes;
  };
}

function decodeKeyValueInto(reader: FieldReader, attributes: Record<string, unknown>) {
  reader.message((keyValue) => {
    let key = "";
    let value: unknown = null;
    keyValue.forEachField((field) => {
      if (field === 1) key = keyValue.text("utf8");
      else if (field === 2) value = keyValue.message(decodeAnyValue);
    });
    attributes[key] = value;
  });
}

/** An AnyValue as the store keeps it: bytes as base64 text, an empty value as null. */
function decodeAnyValue(reader: FieldReader): unknown {
  let value: unknown = null;
  reader.forEachField((field) => {
    if (field === 1) value = reader.text("utf8");
    else if (field === 2) value = reader.uint() !== 0;
    else if (field === 3) value = reader.int64();
    else if (field === 4) value = reader.double();
    else if (field === 5) value = reader.message(decodeArrayValues);
    else if (field === 6) value = reader.message(decodeAttributesOf(1));
    else if (field === 7) value = reader.text("base64");
  });
  return value;
}

function decodeArrayValues(reader: FieldReader): unknown[] {
  const values: unknown[] = [];
  reader.forEachField((field) => {
    if (field === 1) values.push(reader.message(decodeAnyValue));
  });
  return values;
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
