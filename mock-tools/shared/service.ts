import express, { type ErrorRequestHandler, type Express, type RequestHandler, type Response } from "express";
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { AddressInfo } from "node:net";
import type { z } from "zod";

/** Error bodies look like the APIs being mocked: `{"error": "<code>", ...details}`. */
export function sendError(
  res: Response,
  status: number,
  code: string,
  details: Record<string, unknown> = {},
) {
  res.status(status).json({ error: code, ...details });
}

/** Parses `value` with `schema`; on failure answers 400 naming the first bad field and returns undefined. */
export function parseOr400<T extends z.ZodType>(
  schema: T,
  value: unknown,
  res: Response,
): z.infer<T> | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  sendError(res, 400, "invalid_request", {
    field: issue?.path.join(".") || undefined,
    message: issue?.message ?? "invalid request",
  });
  return undefined;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

/** Admin routes change the world; only a caller on this machine may use them. */
export const loopbackOnly: RequestHandler = (req, res, next) => {
  if (LOOPBACK.has(req.socket.remoteAddress ?? "")) return next();
  sendError(res, 403, "forbidden", { message: "admin endpoints answer on loopback only" });
};

const tracer = trace.getTracer("mock-tools");

/**
 * Continues the caller's trace: a SERVER span whose parent comes from the W3C `traceparent` header.
 * Written out here rather than left to http instrumentation so the hand-off between services is
 * visible in one place. Admin and health routes stay untraced: they are not part of any request.
 */
const continueCallerTrace: RequestHandler = (req, res, next) => {
  if (req.path.startsWith("/admin") || req.path === "/healthz") return next();
  const callerContext = propagation.extract(ROOT_CONTEXT, req.headers);
  const span = tracer.startSpan(
    req.method,
    {
      kind: SpanKind.SERVER,
      attributes: { "http.request.method": req.method, "url.path": req.path, "url.scheme": "http" },
    },
    callerContext,
  );
  const endSpan = () => {
    const route: unknown = req.route?.path;
    if (typeof route === "string") {
      span.setAttribute("http.route", route);
      span.updateName(`${req.method} ${route}`);
    }
    if (!res.writableFinished) {
      // The caller hung up (its timeout) before the answer went out: there is no status to report.
      span.addEvent("client_disconnected");
      span.end();
      return;
    }
    span.setAttribute("http.response.status_code", res.statusCode);
    // Server spans mark only 5xx as errors: a 4xx is the caller's mistake (OTel HTTP semantic conventions).
    if (res.statusCode >= 500) {
      span.setAttribute("error.type", String(res.statusCode));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  };
  res.once("close", endSpan);
  context.with(trace.setSpan(callerContext, span), next);
};

/** An express app with JSON bodies, JSON errors and route-named spans. Add routes, then call `listen`. */
export function createServiceApp(service: string): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(express.json({ limit: "256kb" }));
  // After body parsing: its stream callbacks would otherwise run outside the span's context.
  app.use(continueCallerTrace);
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok", service });
  });
  return app;
}

const jsonErrors: ErrorRequestHandler = (err, _req, res, _next) => {
  if (err?.type === "entity.parse.failed")
    return sendError(res, 400, "invalid_json", { message: err.message });
  if (err?.type === "entity.too.large")
    return sendError(res, 413, "payload_too_large", { message: err.message });
  sendError(res, 500, "internal_error", { message: "unexpected error" });
};

/**
 * Adds the 404 and error handlers and listens on `host:port` (port 0 takes a free one).
 * Prints one JSON line `{"service","url"}` on stdout so a supervisor can find the service.
 */
export async function listen(
  app: Express,
  service: string,
  port: number,
  host = "127.0.0.1",
): Promise<string> {
  app.use((req, res) =>
    sendError(res, 404, "not_found", { message: `no route for ${req.method} ${req.path}` }),
  );
  app.use(jsonErrors);
  const server = app.listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port: bound } = server.address() as AddressInfo;
  const url = `http://${host}:${bound}`;
  process.stdout.write(JSON.stringify({ service, url }) + "\n");
  return url;
}
