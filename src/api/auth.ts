import { createHash } from "node:crypto";
import type { RequestHandler } from "express";
import { ROLES, type Role } from "../config.ts";
import { ApiError } from "./errors.ts";

const rank = (role: Role) => ROLES.indexOf(role);

declare module "express-serve-static-core" {
  interface Request {
    /** The caller's role; `admin` when no tokens are configured (an open, loopback-only API). */
    role?: Role;
    /** Who is calling, for the audit log: the role and a fingerprint of the token, never the token. */
    caller?: string;
  }
}

/** Identifies the caller by bearer token when tokens are configured: 401 without a valid one. */
export function authenticate(tokens: ReadonlyMap<string, Role>): RequestHandler {
  return (req, res, next) => {
    if (tokens.size === 0) {
      req.role = "admin";
      req.caller = "local";
      return next();
    }
    const token = /^Bearer\s+(\S+)$/i.exec(req.get("authorization") ?? "")?.[1];
    const role = token ? tokens.get(token) : undefined;
    if (!role) {
      res.set("WWW-Authenticate", 'Bearer realm="incident-assistant"');
      throw new ApiError(401, "unauthorized", token ? "unknown bearer token" : "a bearer token is required");
    }
    req.role = role;
    req.caller = `${role}:${createHash("sha256")
      .update(token as string)
      .digest("hex")
      .slice(0, 8)}`;
    next();
  };
}

/** 403 unless the caller's role is at least `minimum` (analyst < reviewer < admin). */
export function requireRole(minimum: Role): RequestHandler {
  return (req, _res, next) => {
    if (req.role && rank(req.role) >= rank(minimum)) return next();
    throw new ApiError(403, "forbidden", `this needs the ${minimum} role`);
  };
}
