import express from "express";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeOtlpProtobuf } from "../../src/store/otlp-protobuf.ts";
import type { SpanRecord } from "../../src/store/trace-store.ts";

export interface PhoenixAnnotation {
  span_id: string;
  name: string;
  annotator_kind: string;
  result: { label: string | null; score: number | null; explanation: string | null };
  metadata: Record<string, unknown>;
  identifier: string;
}

export interface FakePhoenix {
  url: string;
  spans: SpanRecord[];
  /** Upserted by span, name and identifier, as Phoenix does. */
  annotations: Map<string, PhoenixAnnotation>;
  /** Every request: path, content type, and the status it got. */
  requests: { path: string; contentType: string | undefined; status: number; at: number }[];
  /** Answers the next N trace exports 503 with `Retry-After: 1`. */
  unavailableFor(requests: number): void;
  close(): Promise<void>;
}

/**
 * A peer that behaves like Arize Phoenix's collector where it matters to a client: OTLP traces in
 * protobuf only (415 for JSON), a bearer API key on every request, and the span-annotation API.
 */
export async function startFakePhoenix(apiKey: string): Promise<FakePhoenix> {
  const app = express();
  const phoenix: Omit<FakePhoenix, "url" | "close"> & { unavailable: number } = {
    spans: [],
    annotations: new Map(),
    requests: [],
    unavailable: 0,
    unavailableFor(requests) {
      phoenix.unavailable = requests;
    },
  };
  const answer = (path: string, contentType: string | undefined, status: number) =>
    phoenix.requests.push({ path, contentType, status, at: performance.now() });

  app.use((request, response, next) => {
    if (request.headers.authorization === `Bearer ${apiKey}`) return next();
    answer(request.path, request.headers["content-type"], 401);
    response.status(401).json({ detail: "Invalid token" });
  });
  app.post("/v1/traces", express.raw({ type: () => true, limit: "20mb" }), (request, response) => {
    const contentType = request.headers["content-type"];
    if (contentType !== "application/x-protobuf") {
      answer(request.path, contentType, 415);
      response.status(415).send(`Unsupported content type: ${contentType}`);
      return;
    }
    if (phoenix.unavailable > 0) {
      phoenix.unavailable -= 1;
      answer(request.path, contentType, 503);
      response.status(503).set("retry-after", "1").send("busy");
      return;
    }
    phoenix.spans.push(...decodeOtlpProtobuf(request.body as Buffer).spans);
    answer(request.path, contentType, 200);
    response.status(200).type("application/x-protobuf").send(Buffer.alloc(0));
  });
  app.post("/v1/span_annotations", express.json(), (request, response) => {
    const { data } = request.body as { data: PhoenixAnnotation[] };
    for (const annotation of data) {
      phoenix.annotations.set(
        `${annotation.span_id} ${annotation.name} ${annotation.identifier}`,
        annotation,
      );
    }
    answer(request.path, request.headers["content-type"], 200);
    response.json({ data: data.map((_, index) => ({ id: String(index) })) });
  });

  const server: Server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return Object.assign(phoenix, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
