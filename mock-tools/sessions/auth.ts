import { trace } from "@opentelemetry/api";
import type { Response } from "express";
import { sendError } from "../shared/service.ts";

/** Answers 403 and returns false unless the service account was granted `required`. */
export function hasScopeOr403(granted: string[], required: string, res: Response): boolean {
  trace.getActiveSpan()?.setAttribute("service_account.scopes", granted);
  if (granted.includes(required)) return true;
  sendError(res, 403, "insufficient_scope", { required_scope: required });
  return false;
}
