import type { ErrorRequestHandler, RequestHandler, Response } from "express";
import type { z } from "zod";
import { log } from "../instrumentation/log.ts";

/** Every API error has one shape: `{"error": {"code", "message", "field"?}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export function sendApiError(res: Response, error: ApiError) {
  res.status(error.status).json({
    error: { code: error.code, message: error.message, ...(error.field && { field: error.field }) },
  });
}

/** Parses a request body or query with `schema`, or throws a 400 naming the first bad field. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join(".") || undefined;
  throw new ApiError(400, "invalid_request", issue?.message ?? "invalid request", field);
}

export const notFound: RequestHandler = (req, res) => {
  sendApiError(res, new ApiError(404, "not_found", `no route for ${req.method} ${req.path}`));
};

/**
 * Known errors keep their status; body-parser errors (bad JSON, too large, a body that does not
 * decompress) and undecodable URLs are the client's: a 4xx. Anything else is logged and a 500.
 */
export const errorHandler: ErrorRequestHandler = (err, _req, res, _next) => {
  if (err instanceof ApiError) return sendApiError(res, err);
  if (err?.type === "entity.parse.failed")
    return sendApiError(res, new ApiError(400, "invalid_json", "body is not valid JSON"));
  if (err?.type === "entity.too.large")
    return sendApiError(res, new ApiError(413, "payload_too_large", "body is too large"));
  if (err?.type === "encoding.unsupported")
    return sendApiError(res, new ApiError(415, "unsupported_encoding", "unsupported Content-Encoding"));
  if (err instanceof URIError)
    return sendApiError(res, new ApiError(400, "invalid_url", "the URL is not valid percent-encoding"));
  const status = Number(err?.status ?? err?.statusCode);
  if (status >= 400 && status < 500)
    return sendApiError(res, new ApiError(status, "invalid_request", "the request body could not be read"));
  log.error({ err }, "unhandled API error");
  sendApiError(res, new ApiError(500, "internal_error", "unexpected error"));
};
