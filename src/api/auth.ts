import { createHash } from "node:crypto";
import type { RequestHandler } from "express";
import { ROLES, type Role } from "../shared/config.ts";
import type { BearerTokens } from "../shared/bearer-tokens.ts";
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

/**
 * Identifies the caller by bearer token when tokens are configured: 401 without a valid one, and
 * 429 with Retry-After for a client that keeps failing (guessing tokens).
 */
export function authenticate(tokens: BearerTokens): RequestHandler {
  return (req, res, next) => {
    if (tokens.open) {
      req.role = "admin";
      req.caller = "local";
      return next();
    }
    const client = req.ip ?? "unknown";
    const wait = tokens.retryAfterS(client);
    if (wait !== undefined) {
      res.set("Retry-After", String(wait));
      throw new ApiError(
        429,
        "too_many_failures",
        `too many failed attempts from this client; retry in ${wait} s`,
      );
    }
    const token = /^Bearer\s+(\S+)$/i.exec(req.get("authorization") ?? "")?.[1];
    const role = token ? tokens.roleOf(token) : undefined;
    if (!role) {
      tokens.recordFailure(client);
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

/**
 * The OTLP receiver (`POST /v1/traces`, mounted at /v1) takes an `ingest` or `admin` token, and an
 * `ingest` token can do nothing else: a service that sends spans cannot read them, and a reader
 * cannot write evidence.
 */
export const separateIngest: RequestHandler = (req, _res, next) => {
  // As express routes it: any letter case, an optional trailing slash.
  const isExport = req.method === "POST" && /^\/traces\/?$/i.test(req.path);
  if (isExport && (req.role === "ingest" || req.role === "admin")) return next();
  if (!isExport && req.role !== "ingest") return next();
  throw new ApiError(
    403,
    "forbidden",
    isExport
      ? "sending spans needs the ingest or admin role"
      : "an ingest token can only send spans (POST /v1/traces)",
  );
};

/** 403 unless the caller's role is at least `minimum` (ingest < analyst < reviewer < admin). */
export function requireRole(minimum: Role): RequestHandler {
  return (req, _res, next) => {
    if (req.role && rank(req.role) >= rank(minimum)) return next();
    throw new ApiError(403, "forbidden", `this needs the ${minimum} role`);
  };
}
