import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import express from "express";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createOtlpReceiver, type OtlpReceiver } from "../../src/api/otlp-receiver.ts";
import {
  OtlpPusher,
  parseHeaders,
  PushError,
  tracesUrlOf,
  withApiToken,
} from "../../src/telemetry/otlp-push.ts";
import {
  openTraceStore,
  type TraceStore,
  type AnnotationRecord,
  type SpanRecord,
} from "../../src/store/trace-store.ts";
import { healthyTrace } from "../helpers/trace-builder.ts";
import { tempStore } from "../helpers/processes.ts";
import { startFakePhoenix, type FakePhoenix } from "../helpers/fake-phoenix.ts";
import { loadConfig } from "../../src/shared/config.ts";
import { join } from "node:path";

const API_KEY = "phoenix-api-key-1";
const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const spans: SpanRecord[] = healthyTrace()
  .build()
  .map((span, index) => ({
    ...span,
    traceId: TRACE_ID,
    spanId: (index + 1).toString(16).padStart(16, "0"),
    parentSpanId: index === 0 ? null : "0000000000000001",
    resource: { "service.name": "incident-assistant" },
    scope: { name: "incident-assistant" },
  }));
const byId = (a: SpanRecord, b: SpanRecord) => a.spanId.localeCompare(b.spanId);

let phoenix: FakePhoenix;
let server: Server;
let receiver: OtlpReceiver;
let store: TraceStore;
let ownEndpoint: string;

beforeAll(async () => {
  phoenix = await startFakePhoenix(API_KEY);
  const { traceStore, dir } = tempStore();
  store = await openTraceStore(traceStore);
  // Governance off: these tests check that pushed spans arrive exactly as stored.
  const config = loadConfig({
    TRACE_STORE: traceStore,
    RESTRICTED_STORE: join(dir, "r.db"),
    GOVERNANCE: "off",
  });
  receiver = createOtlpReceiver(store, config);
  server = express().use(receiver.router).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  ownEndpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await phoenix.close();
});
afterEach(() => {
  phoenix.spans.length = 0;
  phoenix.requests.length = 0;
  phoenix.annotations.clear();
});

const pusherFor = (
  protocol: "http/protobuf" | "http/json",
  headers = { authorization: `Bearer ${API_KEY}` },
) => new OtlpPusher({ tracesUrl: tracesUrlOf(phoenix.url), protocol, headers });

describe("pushing stored traces with the official OTLP exporters", () => {
  it("round-trips through an OTLP receiver in protobuf and in JSON", async () => {
    for (const [protocol, traceId] of [
      ["http/protobuf", "1af7651916cd43dd8448eb211c80319c"],
      ["http/json", "2af7651916cd43dd8448eb211c80319c"],
    ] as const) {
      const pushed = spans.map((span) => ({ ...span, traceId }));
      const pusher = new OtlpPusher({ tracesUrl: tracesUrlOf(ownEndpoint), protocol, headers: {} });
      await pusher.pushSpans(pushed);
      await pusher.shutdown();
      await receiver.flush();
      expect((await store.spansOf(traceId)).sort(byId)).toEqual([...pushed].sort(byId));
    }
  });

  it("sends protobuf with the bearer header to a Phoenix-like peer", async () => {
    const pusher = pusherFor("http/protobuf");
    await pusher.pushSpans(spans);
    await pusher.shutdown();
    expect(phoenix.requests).toEqual([
      expect.objectContaining({ path: "/v1/traces", contentType: "application/x-protobuf", status: 200 }),
    ]);
    expect(phoenix.spans.sort(byId)).toEqual([...spans].sort(byId));
  });

  it("says why a peer refused: JSON to a protobuf-only receiver, a missing key", async () => {
    await expect(pusherFor("http/json").pushSpans(spans)).rejects.toThrow(/415.*Unsupported content type/s);
    await expect(
      pusherFor("http/protobuf", { authorization: "Bearer wrong" }).pushSpans(spans),
    ).rejects.toThrow(PushError);
    expect(phoenix.spans).toEqual([]);
  });

  it("waits for Retry-After and tries again when the peer is busy", async () => {
    phoenix.unavailableFor(1);
    const pusher = pusherFor("http/protobuf");
    await pusher.pushSpans(spans);
    await pusher.shutdown();
    const [busy, accepted] = phoenix.requests;
    expect([busy?.status, accepted?.status]).toEqual([503, 200]);
    expect((accepted?.at ?? 0) - (busy?.at ?? 0)).toBeGreaterThanOrEqual(900);
    expect(phoenix.spans).toHaveLength(spans.length);
  });

  it("takes headers from OTEL_EXPORTER_OTLP_HEADERS", async () => {
    process.env.OTEL_EXPORTER_OTLP_HEADERS = `authorization=Bearer%20${API_KEY}`;
    try {
      const pusher = pusherFor("http/protobuf", {} as { authorization: string });
      await pusher.pushSpans(spans);
      await pusher.pushPhoenixAnnotations([annotation("tool_error", "revoke_sessions")]);
      await pusher.shutdown();
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
    }
    expect(phoenix.requests.map((request) => request.status)).toEqual([200, 200]);
  });
});

describe("pushing annotations to Phoenix", () => {
  it("posts each annotation once, updated in place when pushed again", async () => {
    const annotations = [
      annotation("tool_error", "revoke_sessions"),
      annotation("claim_contradicts_tool", "sessions_revoked"),
      annotation("verdict", ""),
    ];
    const pusher = pusherFor("http/protobuf");
    expect(await pusher.pushPhoenixAnnotations(annotations)).toBe(3);
    expect(await pusher.pushPhoenixAnnotations(annotations)).toBe(3);
    expect(phoenix.requests.map((request) => request.path)).toEqual([
      "/v1/span_annotations",
      "/v1/span_annotations",
    ]);
    expect([...phoenix.annotations.values()]).toContainEqual({
      span_id: "0000000000000005",
      name: "tool_error",
      annotator_kind: "CODE",
      result: { label: "revoke_sessions", score: 0, explanation: "tool_error explained" },
      metadata: { stage: "tool" },
      identifier: "revoke_sessions",
    });
    expect(phoenix.annotations.size).toBe(3);
  });
});

describe("where to push", () => {
  it("appends /v1/traces to a bare endpoint and keeps a full one", () => {
    expect(tracesUrlOf("http://127.0.0.1:6006")).toBe("http://127.0.0.1:6006/v1/traces");
    expect(tracesUrlOf("https://cloud.example.com/api/public/otel/v1/traces")).toBe(
      "https://cloud.example.com/api/public/otel/v1/traces",
    );
    expect(() => tracesUrlOf("localhost:4318")).toThrow(
      'OTLP endpoint "localhost:4318" is not an http(s) URL',
    );
  });

  it("sends INCIDENT_API_TOKEN unless a header or OTEL_EXPORTER_OTLP_HEADERS authorizes already", () => {
    const bearer = { authorization: "Bearer api-token-1" };
    expect(withApiToken({ "x-team": "ir" }, "api-token-1", {})).toEqual({ "x-team": "ir", ...bearer });
    expect(withApiToken({ Authorization: "Basic cGs6c2s=" }, "api-token-1", {})).toEqual({
      Authorization: "Basic cGs6c2s=",
    });
    const env = { OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-team=ir, Authorization=Bearer other" };
    expect(withApiToken({}, "api-token-1", env)).toEqual({});
    expect(withApiToken({}, "", {})).toEqual({});
  });

  it("reads headers as name=value", () => {
    expect(parseHeaders(["authorization=Basic cGs6c2s=", "x-team = ir"])).toEqual({
      authorization: "Basic cGs6c2s=",
      "x-team": "ir",
    });
    expect(() => parseHeaders(["no-value"])).toThrow("expected name=value");
  });
});

function annotation(name: string, identifier: string): AnnotationRecord {
  return {
    traceId: TRACE_ID,
    spanId: "0000000000000005",
    name,
    annotatorKind: "CODE",
    label: identifier || "unsupported",
    score: 0,
    explanation: `${name} explained`,
    identifier,
    metadata: { stage: "tool" },
    createdAt: "2026-12-02T00:00:00.000Z",
  };
}
