import { execFile } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import express from "express";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createOtlpReceiver,
  type OtlpReceiver,
  type OtlpReceiverOptions,
} from "../../src/api/otlp-receiver.ts";
import { toOtlpJson } from "../../src/store/otlp.ts";
import { openTraceStore, type TraceStore, type SpanRecord } from "../../src/store/trace-store.ts";
import { field } from "../helpers/protobuf.ts";
import { loadConfig } from "../../src/shared/config.ts";
import { canarySpans, leakedCanaries } from "../helpers/canaries.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SEND_SPANS = "test/fixtures/otlp/send-spans.ts";
const TRACE_ID = "5b8efff798038103d269b633813fc60c";

interface RunningReceiver {
  url: string;
  store: TraceStore;
  receiver: OtlpReceiver;
  /** The requests the server has seen, in order. */
  requests: { path: string; authorization?: string }[];
  close(): Promise<void>;
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), "otlp-receiver-"));
  dirs.push(dir);
  return dir;
}

/**
 * A receiver on a store of its own. Governance is off unless asked for: most tests here check that
 * spans are stored exactly as sent; the governance tests turn it on.
 */
async function startReceiver(
  options?: OtlpReceiverOptions,
  storePath = join(tempDir(), "traces.db"),
  governance: "on" | "off" = "off",
): Promise<RunningReceiver> {
  const store = await openTraceStore(storePath);
  const config = loadConfig({
    TRACE_STORE: storePath,
    RESTRICTED_STORE: join(dirname(storePath), "restricted.db"),
    GOVERNANCE: governance,
  });
  const receiver = createOtlpReceiver(store, config, options);
  const requests: RunningReceiver["requests"] = [];
  const app = express();
  app.use((req, _res, next) => {
    requests.push({ path: req.path, authorization: req.headers.authorization });
    next();
  });
  app.use(receiver.router);
  const server: Server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    store,
    receiver,
    requests,
    close: async () => {
      server.close();
      await once(server, "close");
      await receiver.close();
      await store.close();
    },
  };
}

function spanRecord(index: number, fields: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId: TRACE_ID,
    spanId: (index + 1).toString(16).padStart(16, "0"),
    parentSpanId: index === 0 ? null : "0000000000000001",
    name: `step ${index}`,
    service: "replayed-service",
    spanKind: index === 0 ? "SERVER" : "INTERNAL",
    oiKind: null,
    startNs: 1_700_000_000_000_000_000n + BigInt(index),
    endNs: 1_700_000_000_500_000_000n + BigInt(index),
    statusCode: "UNSET",
    statusMessage: null,
    attributes: { index, "step.ratio": index / 4 },
    events: [],
    links: [],
    resource: { "service.name": "replayed-service" },
    scope: { name: "replay", version: "1.0.0" },
    ...fields,
  };
}

function post(url: string, body: string | Uint8Array, headers: Record<string, string>) {
  // A copy: fetch's types take only Uint8Arrays over a plain ArrayBuffer, which a Buffer may not be.
  const payload = typeof body === "string" ? body : new Uint8Array(body);
  // Each request on a connection of its own: these tests leave bodies unread on purpose (415, 413,
  // corrupt gzip), and a pooled keep-alive connection the server is closing resets the next request.
  return fetch(`${url}/v1/traces`, {
    method: "POST",
    headers: { connection: "close", ...headers },
    body: payload,
  });
}

const JSON_TYPE = { "content-type": "application/json" };

/**
 * Posts a body in pieces, without Content-Length (chunked), pausing between them; stops writing once
 * the server has answered.
 */
async function postInPieces(url: string, pieces: Uint8Array[], headers: Record<string, string>) {
  const sending = request(`${url}/v1/traces`, {
    method: "POST",
    headers: { connection: "close", ...headers },
  });
  // The server may answer and close before the last piece: that is not this helper's failure.
  sending.on("error", () => {});
  const answered = once(sending, "response") as Promise<[IncomingMessage]>;
  let answer: IncomingMessage | undefined;
  void answered.then(([response]) => (answer = response));
  for (const piece of pieces) {
    if (answer) break;
    sending.write(piece);
    await sleep(5);
  }
  sending.end();
  const [response] = await answered;
  let text = "";
  for await (const chunk of response) text += chunk;
  return { status: response.statusCode, connection: response.headers.connection, text };
}

function piecesOf(bytes: Uint8Array, count: number): Uint8Array[] {
  const size = Math.ceil(bytes.byteLength / count);
  return Array.from({ length: count }, (_, index) => bytes.subarray(index * size, (index + 1) * size));
}

/**
 * Bodies with an attribute value nested 20,000 deep, built once before any receiver starts: the
 * protobuf takes a second or more to build on a busy machine, time a test would block the server for.
 */
const DEEPLY_NESTED = (() => {
  let json = '{"stringValue":"x"}';
  for (let depth = 0; depth < 20_000; depth++) json = `{"arrayValue":{"values":[${json}]}}`;
  const span = `{"traceId":"${TRACE_ID}","spanId":"00f067aa0ba902b7","attributes":[{"key":"deep","value":${json}}]}`;
  const deepJson = `{"resourceSpans":[{"scopeSpans":[{"spans":[${span}]}]}]}`;
  let protobuf: Buffer = Buffer.from([0x0a, 0x01, 0x78]); // AnyValue { string_value: "x" }
  for (let depth = 0; depth < 20_000; depth++) protobuf = field(5, field(1, protobuf));
  const deepProtobuf = field(
    1,
    field(2, field(2, Buffer.concat([field(1, Buffer.from(TRACE_ID, "hex")), field(9, field(2, protobuf))]))),
  );
  return { deepJson, deepProtobuf };
})();

describe("OTLP/HTTP receiver", () => {
  let running: RunningReceiver;
  beforeAll(async () => {
    running = await startReceiver();
  });
  afterAll(() => running.close());

  it("stores the spans another process sends with the official OTLP/protobuf exporter", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", SEND_SPANS, `${running.url}/v1/traces`],
      { cwd: ROOT },
    );
    const sent = stdout
      .trim()
      .split("\n")
      .map(
        (line) =>
          JSON.parse(line) as { traceId: string; spanId: string; parentSpanId: string | null; name: string },
      );
    expect(sent.map((span) => span.name)).toEqual(["retry", "SELECT orders", "POST /checkout"]);
    const [retry, query, checkout] = sent;

    await running.receiver.flush();
    const stored = await running.store.spansOf(checkout?.traceId ?? "");
    const storedByName = new Map(stored.map((span) => [span.name, span]));
    expect([...storedByName.keys()].sort()).toEqual(["POST /checkout", "SELECT orders", "retry"]);
    const storedCheckout = storedByName.get("POST /checkout");
    const storedQuery = storedByName.get("SELECT orders");
    const storedRetry = storedByName.get("retry");
    expect([storedCheckout?.spanId, storedCheckout?.parentSpanId]).toEqual([checkout?.spanId, null]);
    expect([storedQuery?.spanId, storedQuery?.parentSpanId]).toEqual([query?.spanId, checkout?.spanId]);
    expect([storedRetry?.spanId, storedRetry?.parentSpanId]).toEqual([retry?.spanId, query?.spanId]);
    expect(stored.map((span) => [span.name, span.service, span.spanKind]).sort()).toEqual([
      ["POST /checkout", "external-service", "SERVER"],
      ["SELECT orders", "external-service", "CLIENT"],
      ["retry", "external-service", "INTERNAL"],
    ]);
    expect(storedCheckout?.attributes).toEqual({
      "http.request.method": "POST",
      "http.response.status_code": 200,
      "user.vip": true,
    });
    expect(storedQuery?.attributes).toEqual({ "db.system": "postgresql", "db.rows": 3 });
    expect(storedRetry).toMatchObject({
      attributes: { "retry.backoff_s": 0.25, "retry.hosts": ["db-1", "db-2"] },
      events: [{ name: "connection reset", attributes: { attempt: 1 } }],
      statusCode: "ERROR",
      statusMessage: "connection reset by peer",
      scope: { name: "send-spans", version: "1.0.0" },
    });
    expect(storedRetry?.resource["service.name"]).toBe("external-service");
  });

  it("stores OTLP/JSON and answers with an empty JSON ExportTraceServiceResponse", async () => {
    const spans = [0, 1, 2].map((index) => spanRecord(index));

    const response = await post(running.url, JSON.stringify(toOtlpJson(spans)), JSON_TYPE);

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({});
    await running.receiver.flush();
    expect(await running.store.spansOf(TRACE_ID)).toEqual(spans);
  });

  it("takes gzip-compressed JSON and protobuf", async () => {
    const jsonSpan = spanRecord(0, { traceId: "11111111111111111111111111111111" });
    const jsonResponse = await post(running.url, gzipSync(JSON.stringify(toOtlpJson([jsonSpan]))), {
      ...JSON_TYPE,
      "content-encoding": "gzip",
    });
    expect(jsonResponse.status).toBe(200);

    const sdkSpan = await recordSdkSpans(1);
    const protobuf = ProtobufTraceSerializer.serializeRequest(sdkSpan) ?? new Uint8Array();
    const protobufResponse = await post(running.url, gzipSync(protobuf), {
      "content-type": "application/x-protobuf",
      "content-encoding": "gzip",
    });
    expect(protobufResponse.status).toBe(200);
    expect(protobufResponse.headers.get("content-type")).toBe("application/x-protobuf");
    expect((await protobufResponse.arrayBuffer()).byteLength).toBe(0);

    await running.receiver.flush();
    expect(await running.store.spansOf(jsonSpan.traceId)).toEqual([jsonSpan]);
    const traceId = sdkSpan[0]?.spanContext().traceId ?? "";
    expect((await running.store.spansOf(traceId)).map((span) => [span.name, span.service])).toEqual([
      ["span 0", "in-process-sdk"],
    ]);
  });

  it("reads a body that arrives in pieces, without Content-Length, gzip-compressed or not", async () => {
    const traceId = "66666666666666666666666666666666";
    const plain = [0, 1, 2].map((index) => spanRecord(index, { traceId, name: `plain ${index}` }));
    const zipped = [3, 4].map((index) => spanRecord(index, { traceId, name: `zipped ${index}` }));
    const plainBody = Buffer.from(JSON.stringify(toOtlpJson(plain)));
    const zippedBody = gzipSync(JSON.stringify(toOtlpJson(zipped)));

    const answers = [
      await postInPieces(running.url, piecesOf(plainBody, 12), JSON_TYPE),
      await postInPieces(running.url, piecesOf(zippedBody, 5), { ...JSON_TYPE, "content-encoding": "gzip" }),
    ];

    expect(answers.map((answer) => [answer.status, answer.text])).toEqual([
      [200, "{}"],
      [200, "{}"],
    ]);
    await running.receiver.flush();
    expect((await running.store.spansOf(traceId)).map((span) => span.name).sort()).toEqual([
      "plain 0",
      "plain 1",
      "plain 2",
      "zipped 3",
      "zipped 4",
    ]);
  });

  it("forgets a body whose sender goes away, and goes on serving", async () => {
    const traceId = "77777777777777777777777777777777";
    const body = Buffer.from(JSON.stringify(toOtlpJson([spanRecord(0, { traceId })])));
    const sending = request(`${running.url}/v1/traces`, { method: "POST", headers: JSON_TYPE });
    sending.on("error", () => {});
    sending.write(body.subarray(0, body.byteLength >> 1));
    await sleep(50);
    const closed = new Promise((resolve) => sending.on("close", resolve));
    sending.destroy();
    await closed;

    const response = await post(running.url, body, JSON_TYPE);

    expect(response.status).toBe(200);
    await running.receiver.flush();
    expect(await running.store.spansOf(traceId)).toHaveLength(1);
  });

  it("takes an empty Content-Encoding as identity", async () => {
    const traceId = "88888888888888888888888888888888";
    const body = JSON.stringify(toOtlpJson([spanRecord(0, { traceId })]));

    const response = await post(running.url, body, { ...JSON_TYPE, "content-encoding": "" });

    expect(response.status).toBe(200);
    await running.receiver.flush();
    expect(await running.store.spansOf(traceId)).toHaveLength(1);
  });

  it("answers 415 to a Content-Encoding OTLP/HTTP does not define, before reading the body", async () => {
    for (const encoding of ["deflate", "br", "x-unknown", "constructor"]) {
      const response = await post(running.url, "{}", { ...JSON_TYPE, "content-encoding": encoding });
      expect(response.status, encoding).toBe(415);
      expect(await response.json()).toEqual({
        error: { code: "unsupported_encoding", message: "Content-Encoding must be gzip or identity" },
      });
    }
  });

  it("answers 415 to a content type OTLP/HTTP does not define", async () => {
    for (const type of ["text/plain", "constructor", "__proto__"]) {
      const response = await post(running.url, "resourceSpans", { "content-type": type });
      expect(response.status, type).toBe(415);
      expect(await response.json()).toEqual({
        error: {
          code: "unsupported_media_type",
          message: "OTLP/HTTP takes application/x-protobuf or application/json",
        },
      });
    }
  });

  it("answers 400 invalid_otlp to bodies that are not OTLP", async () => {
    const garbage = [
      post(running.url, "{ not json", JSON_TYPE),
      post(running.url, JSON.stringify({ resourceSpans: 42 }), JSON_TYPE),
      post(running.url, Buffer.from("definitely not protobuf"), { "content-type": "application/x-protobuf" }),
      post(running.url, Buffer.from("not gzip"), { ...JSON_TYPE, "content-encoding": "gzip" }),
    ];
    for (const response of await Promise.all(garbage)) {
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("invalid_otlp");
    }
  });

  it("answers 400 to attribute values nested beyond the stack, and goes on serving", async () => {
    const { deepJson, deepProtobuf } = DEEPLY_NESTED;
    const answers = [
      await post(running.url, deepJson, JSON_TYPE),
      await post(running.url, deepProtobuf, { "content-type": "application/x-protobuf" }),
    ];

    for (const response of answers) {
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: { code: "invalid_otlp", message: expect.stringMatching(/nested too deeply/) },
      });
    }
    const fine = await post(running.url, JSON.stringify(toOtlpJson([spanRecord(0)])), JSON_TYPE);
    expect(fine.status).toBe(200);
  });

  it("stores the valid spans of a batch and reports the rest as a partial success", async () => {
    const traceId = "22222222222222222222222222222222";
    const spans = [0, 1, 2].map((index) => spanRecord(index, { traceId }));
    const request = toOtlpJson(spans);
    const badSpan = request.resourceSpans[0]?.scopeSpans[0]?.spans[1];
    if (badSpan) badSpan.spanId = "not-a-span-id";

    const response = await post(running.url, JSON.stringify(request), JSON_TYPE);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      partialSuccess: {
        rejectedSpans: "1",
        errorMessage: "1 span(s) rejected, the first for spanId: expected 16 hex characters, not all zero",
      },
    });
    await running.receiver.flush();
    expect((await running.store.spansOf(traceId)).map((span) => span.name)).toEqual(["step 0", "step 2"]);
  });

  it("answers a protobuf partial success in protobuf", async () => {
    const spans = await recordSdkSpans(3);
    const bytes = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) ?? []);
    // All three share the trace id; zeroing its first copy invalidates the first span only.
    const traceIdBytes = Buffer.from(spans[0]?.spanContext().traceId ?? "", "hex");
    bytes.fill(0, bytes.indexOf(traceIdBytes), bytes.indexOf(traceIdBytes) + 16);

    const response = await post(running.url, bytes, { "content-type": "application/x-protobuf" });

    expect(response.status).toBe(200);
    const body = new Uint8Array(await response.arrayBuffer());
    expect(ProtobufTraceSerializer.deserializeResponse(body)).toEqual({
      partialSuccess: {
        rejectedSpans: 1,
        errorMessage: "1 span(s) rejected, the first for traceId: expected 32 hex characters, not all zero",
      },
    });
    await running.receiver.flush();
    expect(await running.store.spansOf(spans[0]?.spanContext().traceId ?? "")).toHaveLength(2);
  });

  it("stores a big batch from its worker threads, never on the API's event loop", async () => {
    const traceId = "33333333333333333333333333333333";
    const spans = Array.from({ length: 600 }, (_, index) => spanRecord(index, { traceId }));
    const addSpans = vi.spyOn(running.store, "addSpans");
    const addRows = vi.spyOn(running.store, "addRows");

    const response = await post(running.url, JSON.stringify(toOtlpJson(spans)), JSON_TYPE);
    expect(response.status).toBe(200);
    await running.receiver.flush();

    expect(addSpans).not.toHaveBeenCalled();
    expect(addRows).not.toHaveBeenCalled();
    expect(await running.store.spansOf(traceId)).toHaveLength(600);
    expect(running.receiver.queuedSpans()).toBe(0);
    addSpans.mockRestore();
    addRows.mockRestore();
  });
});

describe("OTLP/HTTP receiver as a trust boundary", () => {
  let running: RunningReceiver;
  beforeAll(async () => {
    running = await startReceiver(undefined, join(tempDir(), "traces.db"), "on");
  });
  afterAll(() => running.close());

  it("governs spans from any process: no secret or personal data reaches the trace store", async () => {
    const traceId = "77777777777777777777777777777777";
    const spans = canarySpans(traceId);
    const response = await post(running.url, JSON.stringify(toOtlpJson(spans)), JSON_TYPE);
    expect(response.status).toBe(200);

    const stored = await running.store.spansOf(traceId);
    expect(stored).toHaveLength(spans.length);
    const text = JSON.stringify(stored, (_, value: unknown) =>
      typeof value === "bigint" ? String(value) : value,
    );
    expect(leakedCanaries(text)).toEqual([]);
    expect(stored.every((span) => !("input.value" in span.attributes))).toBe(true);
    expect(stored[0]?.attributes["user.id"]).toMatch(/^\w+_[0-9a-f]{10}$/);
  });

  it("is append-only: a span id already stored is refused and counted, never replaced", async () => {
    const traceId = "88888888888888888888888888888888";
    const revoke = spanRecord(1, {
      traceId,
      name: "execute_tool revoke_sessions",
      statusCode: "ERROR",
      attributes: { "tool.outcome": "error", "tool.http_status": 403 },
    });
    const first = await post(running.url, JSON.stringify(toOtlpJson([revoke])), JSON_TYPE);
    expect(await first.json()).toEqual({});

    const forged = { ...revoke, statusCode: "OK" as const, attributes: { "tool.outcome": "forged-success" } };
    const second = await post(
      running.url,
      JSON.stringify(toOtlpJson([forged, spanRecord(2, { traceId })])),
      JSON_TYPE,
    );
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({
      partialSuccess: {
        rejectedSpans: "1",
        errorMessage: "1 span(s) already stored: ingest is append-only",
      },
    });
    const stored = await running.store.spansOf(traceId);
    expect(stored.map((span) => span.spanId).sort()).toEqual([revoke.spanId, "0000000000000003"]);
    expect(stored.find((span) => span.spanId === revoke.spanId)).toMatchObject({
      statusCode: "ERROR",
      attributes: { "tool.outcome": "error" },
    });
  });

  it("answers 200 only once the spans are committed, readable by any other connection", async () => {
    const traceId = "99999999999999999999999999999999";
    const spans = Array.from({ length: 300 }, (_, index) => spanRecord(index, { traceId }));
    const response = await post(running.url, JSON.stringify(toOtlpJson(spans)), JSON_TYPE);
    expect(response.status).toBe(200);
    // No flush: another connection, as a restarted server would open, already sees every span.
    const reader = await openTraceStore(running.store.location);
    expect(await reader.spansOf(traceId)).toHaveLength(300);
    await reader.close();
  });
});

describe("OTLP/HTTP receiver limits", () => {
  let running: RunningReceiver | undefined;
  afterEach(async () => {
    await running?.close();
  });

  it("answers 413 to a body over maxBodyBytes, also when it only grows that big unzipped", async () => {
    running = await startReceiver({ maxBodyBytes: 1024 });
    const big = JSON.stringify({ resourceSpans: [], padding: "x".repeat(2000) });

    const plain = await post(running.url, big, JSON_TYPE);
    const zipped = await post(running.url, gzipSync(big), { ...JSON_TYPE, "content-encoding": "gzip" });

    expect(gzipSync(big).length).toBeLessThan(1024);
    for (const response of [plain, zipped]) {
      expect(response.status).toBe(413);
      expect(await response.json()).toEqual({
        error: { code: "payload_too_large", message: "body exceeds 1024 bytes" },
      });
    }
  });

  it("answers 413 to a body that grows over maxBodyBytes as it arrives, and closes the connection", async () => {
    running = await startReceiver({ maxBodyBytes: 1024 });
    const big = Buffer.from(JSON.stringify({ resourceSpans: [], padding: "x".repeat(4000) }));

    const answer = await postInPieces(running.url, piecesOf(big, 8), JSON_TYPE);

    expect(answer.status).toBe(413);
    expect(answer.connection).toBe("close");
    expect(JSON.parse(answer.text)).toEqual({
      error: { code: "payload_too_large", message: "body exceeds 1024 bytes" },
    });
  });

  it("answers a request whose body was still arriving when the receiver closed", async () => {
    running = await startReceiver();
    // The ingest worker starts with the first export.
    expect((await post(running.url, JSON.stringify({ resourceSpans: [] }), JSON_TYPE)).status).toBe(200);
    const sending = request(`${running.url}/v1/traces`, { method: "POST", headers: JSON_TYPE });
    sending.on("error", () => {});
    const answered = once(sending, "response") as Promise<[IncomingMessage]>;
    sending.write('{"resourceSpans":');
    await sleep(50);

    await running.receiver.close();
    sending.end("[]}");
    const [response] = await answered;

    expect(response.statusCode).toBe(503);
    expect(response.headers["retry-after"]).toBe("1");
  });

  it("answers 429 with Retry-After instead of queueing more than maxQueuedSpans", async () => {
    running = await startReceiver({ maxQueuedSpans: 2 });
    const traceId = "44444444444444444444444444444444";
    const spans = [0, 1, 2].map((index) => spanRecord(index, { traceId }));

    const tooMany = await post(running.url, JSON.stringify(toOtlpJson(spans)), JSON_TYPE);

    expect(tooMany.status).toBe(429);
    expect(tooMany.headers.get("retry-after")).toBe("1");
    expect(((await tooMany.json()) as { error: { code: string } }).error.code).toBe("queue_full");
    await running.receiver.flush();
    expect(await running.store.hasTrace(traceId)).toBe(false);

    const fits = await post(running.url, JSON.stringify(toOtlpJson(spans.slice(0, 2))), JSON_TYPE);
    expect(fits.status).toBe(200);
    await running.receiver.flush();
    expect(await running.store.spansOf(traceId)).toHaveLength(2);
  });
});

describe("OTLP/HTTP receiver failures", () => {
  it("answers 503 with Retry-After when its ingest worker fails, and never takes the process down", async () => {
    // The workers cannot open the store: its directory has become a file.
    const dir = join(tempDir(), "store");
    const running = await startReceiver({}, join(dir, "traces.db"));
    rmSync(dir, { recursive: true });
    writeFileSync(dir, "");
    const body = JSON.stringify(toOtlpJson([spanRecord(0, { traceId: "66666666666666666666666666666666" })]));

    let unavailable: Response | undefined;
    for (const deadline = Date.now() + 10_000; !unavailable && Date.now() < deadline;) {
      const response = await post(running.url, body, JSON_TYPE);
      if (response.status === 503) unavailable = response;
      else expect(response.status).toBe(200); // accepted before the worker noticed, then lost
      await sleep(100);
    }

    expect(unavailable?.headers.get("retry-after")).toBe("1");
    expect(await unavailable?.json()).toEqual({
      error: { code: "ingest_unavailable", message: expect.stringMatching(/^the ingest worker failed/) },
    });
    await running.close();
  });
});

/** Finished SDK spans of one trace, as an instrumented service in this process would export them. */
async function recordSdkSpans(count: number) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "in-process-sdk" }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer("otlp-receiver-test");
  const root = tracer.startSpan("span 0", { kind: SpanKind.SERVER });
  for (let index = 1; index < count; index++) {
    const child = tracer.startSpan(`span ${index}`, {}, trace.setSpan(context.active(), root));
    child.setStatus({ code: SpanStatusCode.OK });
    child.end();
  }
  root.end();
  await provider.forceFlush();
  return exporter.getFinishedSpans();
}
