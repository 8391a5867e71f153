import { afterAll, beforeAll, describe, expect, it } from "vitest";
import express from "express";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { authenticate } from "../../src/api/auth.ts";
import { errorHandler } from "../../src/api/errors.ts";
import { BearerTokens } from "../../src/shared/bearer-tokens.ts";

const TOKENS = new Map([
  ["analyst-token-1", "analyst" as const],
  ["admin-token-1", "admin" as const],
]);

describe("BearerTokens", () => {
  it("finds the role of a configured token and none for anything else", () => {
    const tokens = new BearerTokens(TOKENS);
    expect(tokens.roleOf("admin-token-1")).toBe("admin");
    expect(tokens.roleOf("analyst-token-1")).toBe("analyst");
    expect(tokens.roleOf("analyst-token-")).toBeUndefined();
    expect(tokens.roleOf("")).toBeUndefined();
    expect(new BearerTokens(new Map()).open).toBe(true);
  });

  it("holds off a client after too many failures, for the rest of the window", () => {
    const tokens = new BearerTokens(TOKENS, { maxFailures: 3, windowMs: 60_000, maxClients: 10 });
    const start = 1_000_000;
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(tokens.retryAfterS("10.0.0.1", start + attempt)).toBeUndefined();
      tokens.recordFailure("10.0.0.1", start + attempt);
    }
    expect(tokens.retryAfterS("10.0.0.1", start + 10)).toBe(60);
    expect(tokens.retryAfterS("10.0.0.2", start + 10)).toBeUndefined();
    expect(tokens.retryAfterS("10.0.0.1", start + 60_001)).toBeUndefined();
  });

  it("remembers a bounded number of clients", () => {
    const tokens = new BearerTokens(TOKENS, { maxFailures: 1, windowMs: 60_000, maxClients: 2 });
    for (const client of ["a", "b", "c"]) tokens.recordFailure(client, 1);
    expect(tokens.retryAfterS("a", 2)).toBeUndefined();
    expect(tokens.retryAfterS("c", 2)).toBe(60);
  });
});

describe("authenticate", () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const tokens = new BearerTokens(TOKENS, { maxFailures: 5, windowMs: 60_000, maxClients: 100 });
    const app = express();
    app.use(authenticate(tokens));
    app.get("/", (req, res) => {
      res.json({ role: req.role });
    });
    app.use(errorHandler);
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => server.close());

  const as = (token: string) => fetch(url, { headers: { authorization: `Bearer ${token}` } });

  it("answers 429 with Retry-After to a client that keeps guessing, even with a right token then", async () => {
    expect(await (await as("admin-token-1")).json()).toEqual({ role: "admin" });
    const guesses = await Promise.all(Array.from({ length: 8 }, (_, n) => as(`guess-${n}`)));
    expect(guesses.map((response) => response.status).sort()).toEqual([
      401, 401, 401, 401, 401, 429, 429, 429,
    ]);
    const held = await as("admin-token-1");
    expect(held.status).toBe(429);
    expect(Number(held.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await held.json()).toEqual({
      error: { code: "too_many_failures", message: expect.stringMatching(/^too many failed attempts/) },
    });
  });
});
