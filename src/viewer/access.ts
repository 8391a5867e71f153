import type { Request, RequestHandler, Response } from "express";
import { ROLES, type Role } from "../shared/config.ts";
import type { BearerTokens } from "../shared/bearer-tokens.ts";
import { html } from "./html.ts";
import { errorPage, page, sendPage, type Viewer } from "./layout.ts";

const TOKEN_COOKIE = "viewer_token";
const COOKIE_OPTIONS = { httpOnly: true, sameSite: "strict", path: "/" } as const;

export const canSeeRestricted = (role: Role) => ROLES.indexOf(role) >= ROLES.indexOf("reviewer");

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.get("cookie") ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key !== name) continue;
    try {
      return decodeURIComponent(value.join("="));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Only local paths: a `next` of `//evil.example` or `https://…` would make login an open redirect. */
const localPath = (next: unknown) =>
  typeof next === "string" && next.startsWith("/") && !next.startsWith("//") && !next.includes("\\")
    ? next
    : "/";

/**
 * The role of whoever is looking. Without tokens the viewer is open, as the API is (admin, on
 * loopback by default); with tokens, the role of the token that /login put in the cookie.
 */
export function roleOf(req: Request, tokens: BearerTokens): Role | undefined {
  if (tokens.open) return "admin";
  const token = cookie(req, TOKEN_COOKIE);
  if (token === undefined) return undefined;
  // A forged cookie is a guess like a wrong sign-in: it counts against the same limit.
  const client = req.ip ?? "unknown";
  if (tokens.retryAfterS(client) !== undefined) return undefined;
  const role = tokens.roleOf(token);
  if (role === undefined) tokens.recordFailure(client);
  // An ingest token sends spans; it reads nothing, here either.
  return role === "ingest" ? undefined : role;
}

export function viewerOf(req: Request, tokens: BearerTokens): Viewer {
  // Least privilege if a page is ever rendered before the role is known.
  return { role: req.role ?? "analyst", loginRequired: !tokens.open };
}

/** Pages need a role; without one, a browser is sent to /login and brought back afterwards. */
export function requireSignIn(tokens: BearerTokens): RequestHandler {
  return (req, res, next) => {
    const role = roleOf(req, tokens);
    if (role) {
      req.role = role;
      return next();
    }
    if (req.method !== "GET") {
      return sendPage(res, 401, errorPage(undefined, "Sign in first", "Sign in again, then repeat this."));
    }
    res.redirect(303, `/login?${new URLSearchParams({ next: req.originalUrl })}`);
  };
}

/**
 * Form posts must come from the viewer's own pages: a cross-site form could otherwise post
 * feedback to an open (token-less) viewer. Browsers send Sec-Fetch-Site, or at least Origin, on a POST.
 */
export const sameOrigin: RequestHandler = (req, res, next) => {
  const site = req.get("sec-fetch-site");
  const origin = req.get("origin");
  const crossSite = site
    ? site !== "same-origin" && site !== "none"
    : origin !== undefined && origin !== `${req.protocol}://${req.get("host")}`;
  if (!crossSite) return next();
  sendPage(res, 403, errorPage(undefined, "Refused", "This form was posted from another site."));
};

function loginPage(next: string, failed: boolean): string {
  return page(
    { title: "Sign in" },
    html`<h1>Sign in</h1>
      <p>This viewer asks for one of the API tokens configured in <code>API_TOKENS</code>.</p>
      ${failed && html`<p class="notice notice-error" role="alert">That token is not valid.</p>`}
      <form class="login" method="post" action="/login">
        <input type="hidden" name="next" value="${next}" />
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required />
        <button type="submit">Sign in</button>
      </form>`,
  );
}

export function showLogin(tokens: BearerTokens): RequestHandler {
  return (req, res) => {
    if (roleOf(req, tokens)) return res.redirect(303, "/");
    sendPage(res, 200, loginPage(localPath(req.query.next), false));
  };
}

/** Keeps the token in an HttpOnly, SameSite=Strict cookie: scripts cannot read it, other sites cannot send it. */
export function login(tokens: BearerTokens): RequestHandler {
  return (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = localPath(body.next);
    const token = typeof body.token === "string" ? body.token.trim() : "";
    const client = req.ip ?? "unknown";
    const wait = tokens.retryAfterS(client);
    if (wait !== undefined) {
      res.set("Retry-After", String(wait));
      return sendPage(res, 429, errorPage(undefined, "Too many attempts", `Try again in ${wait} s.`));
    }
    const role = tokens.roleOf(token);
    if (role === undefined || role === "ingest") {
      tokens.recordFailure(client);
      return sendPage(res, 401, loginPage(next, true));
    }
    res.cookie(TOKEN_COOKIE, token, COOKIE_OPTIONS);
    res.redirect(303, next);
  };
}

export function logout(_req: Request, res: Response) {
  res.clearCookie(TOKEN_COOKIE, COOKIE_OPTIONS);
  res.redirect(303, "/login");
}
