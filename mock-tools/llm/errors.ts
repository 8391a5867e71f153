import type { ErrorRequestHandler, RequestHandler, Response } from "express";

/** Error bodies look like OpenAI's, so the real `openai` client raises its usual typed errors. */
export function sendOpenAiError(
  res: Response,
  status: number,
  message: string,
  { param = null, code = null }: { param?: string | null; code?: string | null } = {},
) {
  res.status(status).json({ error: { message, type: "invalid_request_error", param, code } });
}

/** Any non-empty bearer token is accepted; a missing one is refused as OpenAI does. */
export const requireBearerToken: RequestHandler = (req, res, next) => {
  const token = /^Bearer\s+(\S.*)$/i.exec(req.get("authorization") ?? "")?.[1];
  if (token) return next();
  sendOpenAiError(res, 401, "You didn't provide an API key. Send it as `Authorization: Bearer <key>`.", {
    code: "invalid_api_key",
  });
};

export const unknownRoute: RequestHandler = (req, res) => {
  sendOpenAiError(res, 404, `Invalid URL (${req.method} ${req.path})`);
};

export const openAiErrors: ErrorRequestHandler = (err, _req, res, _next) => {
  if (err?.type === "entity.parse.failed") {
    return sendOpenAiError(res, 400, `We could not parse the JSON body of your request: ${err.message}`);
  }
  if (err?.type === "entity.too.large") return sendOpenAiError(res, 413, "The request body is too large.");
  sendOpenAiError(res, 500, "The simulated model failed unexpectedly.");
};
