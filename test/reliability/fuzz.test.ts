/**
 * Property-based fuzzing of the trust boundary: the OTLP decoders and governance take any bytes
 * without throwing, and the HTTP API answers any request with a 4xx in the documented shape, never a
 * 5xx. `FUZZ_RUNS` scales the runs (`npm run reliability` sets it high).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { context, SpanKind, trace, type AttributeValue } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAssistant } from "../../src/agent/pipeline.ts";
import { parseExportRequest } from "../../src/api/otlp-ingest.ts";
import { createApi } from "../../src/api/server.ts";
import { loadConfig } from "../../src/shared/config.ts";
import { governanceFor } from "../../src/governance/runtime.ts";
import { governSpanRecords } from "../../src/governance/span-records.ts";
import { toOtlpJson } from "../../src/store/otlp.ts";
import { openTraceStore, type TraceStore } from "../../src/store/trace-store.ts";
import { canarySpans } from "../helpers/canaries.ts";
import { tempStore } from "../helpers/processes.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);

const { traceStore } = tempStore();
const config = loadConfig({
  TRACE_STORE: traceStore,
  RESTRICTED_STORE: join(dirname(traceStore), "restricted.db"),
});
const governance = governanceFor(config);

/** What the ingest worker does with a body: decode, then govern whatever decoded. */
function ingest(format: "json" | "protobuf", body: Buffer) {
  const parsed = parseExportRequest(format, body);
  if (!("error" in parsed)) governSpanRecords(governance, parsed.spans);
  return parsed;
}

const attributeValue: fc.Arbitrary<AttributeValue> = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 4 }),
  fc.array(fc.double(), { maxLength: 4 }),
);

/** Valid OTLP/protobuf bodies from the official SDK and serializer, with arbitrary names and attributes. */
const sdkExport = fc
  .array(
    fc.record({
      name: fc.string({ unit: "binary", maxLength: 40 }),
      attributes: fc.dictionary(fc.string({ maxLength: 20 }), attributeValue, { maxKeys: 6 }),
    }),
    { minLength: 1, maxLength: 5 },
  )
  .map((specs) => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": "fuzz" }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracer = provider.getTracer("fuzz");
    const root = tracer.startSpan("root", { kind: SpanKind.SERVER });
    for (const spec of specs) {
      tracer
        .startSpan(spec.name, { attributes: spec.attributes }, trace.setSpan(context.active(), root))
        .end();
    }
    root.end();
    return Buffer.from(ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans()) ?? []);
  });

/** A valid body damaged the way a network or an attacker would: bytes flipped, cut short, spliced. */
const damaged = (valid: fc.Arbitrary<Buffer>) =>
  fc
    .tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat())
    .map(([body, flips, cut]) => {
      const bytes = Buffer.from(body);
      for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
      return bytes.subarray(0, bytes.length === 0 ? 0 : cut % (bytes.length + 1) || bytes.length);
    });

describe("the OTLP decoders and governance", () => {
  it("take any bytes as protobuf: spans or a reason, never a throw", async () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 512 }).map(Buffer.from), damaged(sdkExport)),
        (body) => {
          expect(ingest("protobuf", body)).toBeTypeOf("object");
        },
      ),
      { numRuns: RUNS * 10 },
    );
  });

  it("take any JSON, OTLP-shaped or not: spans or a reason, never a throw", async () => {
    const validJson = fc
      .constant(JSON.stringify(toOtlpJson(canarySpans("0123456789abcdef0123456789abcdef"))))
      .map((text) => Buffer.from(text));
    const otlpShaped = fc
      .record({
        resourceSpans: fc.array(
          fc.record({
            resource: fc.anything(),
            scopeSpans: fc.array(fc.record({ scope: fc.anything(), spans: fc.array(fc.anything()) })),
          }),
        ),
      })
      .map((value) => Buffer.from(JSON.stringify(value)));
    fc.assert(
      fc.property(
        fc.oneof(
          otlpShaped,
          fc.json().map((text) => Buffer.from(text)),
          damaged(validJson),
        ),
        (body) => {
          expect(ingest("json", body)).toBeTypeOf("object");
        },
      ),
      { numRuns: RUNS * 10 },
    );
  });

  it("decode what the official serializer writes, every span", async () => {
    fc.assert(
      fc.property(sdkExport, (body) => {
        const parsed = ingest("protobuf", body);
        expect(parsed).not.toHaveProperty("error");
        expect("spans" in parsed && parsed.rejected).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("the HTTP API under arbitrary requests", () => {
  let store: TraceStore;
  let server: http.Server;
  let port: number;

  beforeAll(async () => {
    store = await openTraceStore(traceStore);
    // The model and tools are unreachable: a well-formed question gets a 503, which the property allows.
    const app = createApi(
      createAssistant(config, { llm: "http://127.0.0.1:9/v1", mdm: "", sessions: "" }),
      store,
    );
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server?.close();
    await store?.close();
  });

  /** One raw request: no client-side normalization of the path or the body. */
  const send = (request: Request) =>
    new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const outgoing = http.request(
        { host: "127.0.0.1", port, method: request.method, path: request.path, headers: request.headers },
        (response) => {
          let body = "";
          response.setEncoding("latin1");
          response.on("data", (chunk: string) => (body += chunk));
          response.on("end", () =>
            resolve({ status: response.statusCode ?? 0, type: response.headers["content-type"] ?? "", body }),
          );
        },
      );
      outgoing.on("error", reject);
      outgoing.end(request.body);
    });

  it("answers every request below 500, and every API error in the documented shape", async () => {
    await fc.assert(
      fc.asyncProperty(requests, async (request) => {
        const { status, type, body } = await send(request);
        const unreachableModel = request.path.startsWith("/v1/incidents/ask") && status === 503;
        expect(status < 500 || unreachableModel, `${status} ${body}`).toBe(true);
        // HEAD answers carry no body.
        if (status >= 400 && type.startsWith("application/json") && request.method !== "HEAD") {
          const error = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown } }).error;
          expect(typeof error?.code).toBe("string");
          expect(typeof error?.message).toBe("string");
        }
      }),
      { numRuns: RUNS * 3 },
    );
  });
});

interface Request {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** Text as it may appear in a request line: percent-encoded, with raw and broken escapes mixed in. */
const urlText = fc
  .array(
    fc.oneof(
      fc.string({ unit: "binary", maxLength: 12 }).map(encodeURIComponent),
      fc.constantFrom(
        "%ff%fe",
        "%",
        "%zz",
        "%00",
        "..",
        "9999-12-31T23:59:59Z",
        "9223372036854775808:" + "a".repeat(32),
        "constructor",
        "__proto__",
      ),
      fc.stringMatching(/^[0-9a-f]{32}$/),
    ),
    { maxLength: 3 },
  )
  .map((parts) => parts.join(""));

const query = fc
  .dictionary(
    fc.constantFrom(
      "from",
      "to",
      "cursor",
      "limit",
      "verdict",
      "route",
      "model",
      "status",
      "stage",
      "period",
      "q",
      "__proto__",
      "constructor",
    ),
    urlText,
    { maxKeys: 4 },
  )
  .map((params) =>
    Object.entries(params)
      .map(([key, value]) => `${key}=${value}`)
      .join("&"),
  );

const path = fc
  .tuple(
    fc.constantFrom(
      "/v1/incidents/ask",
      "/v1/feedback",
      "/v1/traces",
      "/v1/traces/:id",
      "/v1/traces/:id/payloads",
      "/v1/queries/:id",
      "/v1/admin/retention",
      "/v1/admin/config",
      "/",
      "/traces/:id",
      "/monitoring",
      "/budget",
      "/login",
      "/:id",
    ),
    urlText,
    query,
  )
  .map(([template, segment, search]) => `${template.replace(":id", segment)}${search ? `?${search}` : ""}`);

const jsonBody = fc.oneof(
  fc.json(),
  fc
    .record(
      {
        question: fc.oneof(fc.string({ maxLength: 300 }), fc.anything()),
        analyst: fc.anything(),
        session_id: fc.anything(),
        trace_id: fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), fc.anything()),
        outcome: fc.oneof(fc.constantFrom("accepted", "edited", "escalated"), fc.anything()),
        comment: fc.anything(),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
);

const requests: fc.Arbitrary<Request> = fc.record({
  method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"),
  path,
  headers: fc
    .record(
      {
        "content-type": fc.constantFrom(
          "application/json",
          "application/json; charset=utf-16",
          "application/x-protobuf",
          "application/x-www-form-urlencoded",
          "text/plain",
          "multipart/form-data; boundary=x",
          // Names an object literal has of its own: a lookup table must not find them.
          "constructor",
          "__proto__",
        ),
        "content-encoding": fc.constantFrom(
          "gzip",
          "br",
          "deflate",
          "identity",
          "x-unknown",
          "constructor",
          "__proto__",
        ),
        traceparent: fc.oneof(
          fc.string({ maxLength: 60 }).map(encodeURIComponent),
          fc.constant("00-" + "0".repeat(32) + "-" + "0".repeat(16) + "-01"),
        ),
        cookie: fc.string({ maxLength: 40 }).map((text) => `session=${encodeURIComponent(text)}`),
      },
      { requiredKeys: [] },
    )
    .map((headers) => headers as Record<string, string>),
  body: fc.oneof(
    jsonBody.map((text) => Buffer.from(text)),
    fc.uint8Array({ maxLength: 256 }).map(Buffer.from),
    fc.constant(Buffer.alloc(0)),
  ),
});
