import { afterAll, beforeAll, describe, expect, it } from "vitest";
import express from "express";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createOtlpReceiver, type OtlpReceiver } from "../../src/api/otlp-receiver.ts";
import { pushTraces } from "../../src/store/otlp-push.ts";
import { TraceStore, type SpanRecord } from "../../src/store/trace-store.ts";
import { healthyTrace } from "../helpers/trace-builder.ts";
import { tempStore } from "../helpers/processes.ts";

const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const spans: SpanRecord[] = healthyTrace()
  .build()
  .map((span, index) => ({
    ...span,
    traceId: TRACE_ID,
    spanId: (index + 1).toString(16).padStart(16, "0"),
    parentSpanId: index === 0 ? null : "0000000000000001",
    resource: { "service.name": "incident-assistant" },
  }));

let server: Server;
let receiver: OtlpReceiver;
let store: TraceStore;
let endpoint: string;

beforeAll(async () => {
  store = new TraceStore(tempStore().traceStore);
  receiver = createOtlpReceiver(store);
  const app = express();
  app.use(receiver.router);
  app.post("/broken", (_req, res) => {
    res.status(500).json({ error: "down" });
  });
  server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

describe("trace push", () => {
  it("forwards stored spans to an OTLP/HTTP endpoint, /v1/traces appended to a bare URL", async () => {
    expect(await pushTraces(spans, endpoint)).toEqual({ sent: spans.length });
    await receiver.flush();
    const byId = (a: SpanRecord, b: SpanRecord) => a.spanId.localeCompare(b.spanId);
    expect(store.spansOf(TRACE_ID).sort(byId)).toEqual([...spans].sort(byId));
  });

  it("fails loudly when the endpoint refuses", async () => {
    await expect(pushTraces(spans, `${endpoint}/broken`)).rejects.toThrow(/500/);
  });
});
