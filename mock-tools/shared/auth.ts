import type { RequestHandler } from "express";
import { sendError } from "./service.ts";

/** Any non-empty bearer token stands for the assistant's service account; no token, no answer. */
export const requireBearer: RequestHandler = (req, res, next) => {
  const token = /^Bearer\s+(\S+)/i.exec(req.get("authorization") ?? "")?.[1];
  if (token) return next();
  sendError(res, 401, "unauthorized", { message: "missing bearer token" });
};
