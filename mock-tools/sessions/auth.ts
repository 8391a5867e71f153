import { trace } from "@opentelemetry/api";
import type { RequestHandler, Response } from "express";
import { sendError } from "../shared/service.ts";

/** Any non-empty bearer token stands for the assistant's service account; no token, no answer. */
export const requireBearer: RequestHandler = (req, res, next) => {
  const token = /^Bearer\s+(\S+)/i.exec(req.get("authorization") ?? "")?.[1];
  if (token) return next();
  sendError(res, 401, "unauthorized", { message: "missing bearer token" });
};

/** Answers 403 and returns false unless the service account was granted `required`. */
export function hasScopeOr403(granted: string[], required: string, res: Response): boolean {
  trace.getActiveSpan()?.setAttribute("service_account.scopes", granted);
  if (granted.includes(required)) return true;
  sendError(res, 403, "insufficient_scope", { required_scope: required });
  return false;
}
