import type { Express } from "express";
import type { Server } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createSessionsApp } from "../../mock-tools/sessions/app.ts";
import { listen } from "../../mock-tools/shared/service.ts";

const NOW = new Date("2026-03-02T12:00:00.000Z");
const AUTH = { authorization: "Bearer test-token" };

/** `listen` keeps its server to itself; spy on `app.listen` to get it back for closing. */
async function start(app: Express) {
  const appListen = vi.spyOn(app, "listen");
  const url = await listen(app, "sessions", 0);
  const server = appListen.mock.results[0]?.value as Server;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start(createSessionsApp({ now: () => NOW }).app);
});
afterAll(() => service.close());

interface SessionList {
  employee_id: string;
  sessions: { id: string; app: string; created_at: string; last_active_at: string; ip: string }[];
  active_count: number;
}

const request = (method: string, path: string, body?: unknown, headers: Record<string, string> = AUTH) =>
  fetch(service.url + path, {
    method,
    headers: { ...headers, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const listSessions = (employeeId: string) => request("GET", `/v1/employees/${employeeId}/sessions`);
const revoke = (employeeId: string, body: unknown = { reason: "laptop reported stolen" }) =>
  request("POST", `/v1/employees/${employeeId}/sessions/revoke`, body);
const putWorld = (world: unknown) => request("PUT", "/admin/world", world, {});

beforeEach(async () => {
  expect((await putWorld({})).status).toBe(204);
});

describe("sessions", () => {
  it("lists the same 2 to 4 active sessions every time", async () => {
    const res = await listSessions("E-10442");
    expect(res.status).toBe(200);
    const body = (await res.json()) as SessionList;
    expect(body.employee_id).toBe("E-10442");
    expect(body.active_count).toBe(body.sessions.length);
    expect(body.sessions.length).toBeGreaterThanOrEqual(2);
    expect(body.sessions.length).toBeLessThanOrEqual(4);
    for (const session of body.sessions) {
      expect(session.id).toMatch(/^sess_[0-9a-f]+$/);
      expect(["okta", "google-workspace", "slack", "github", "vpn"]).toContain(session.app);
      expect(session.ip).toMatch(/^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+$/);
      expect(session.created_at < session.last_active_at).toBe(true);
      expect(session.last_active_at <= NOW.toISOString()).toBe(true);
    }
    expect(await (await listSessions("E-10442")).json()).toEqual(body);

    const other = (await (await listSessions("E-20931")).json()) as SessionList;
    expect(other.sessions[0]?.id).not.toBe(body.sessions[0]?.id);
  });

  it("revokes all sessions once", async () => {
    const { active_count } = (await (await listSessions("E-10442")).json()) as SessionList;
    const res = await revoke("E-10442");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      employee_id: "E-10442",
      revoked_count: active_count,
      revoked_at: NOW.toISOString(),
      remaining_active: 0,
    });
    expect(await (await listSessions("E-10442")).json()).toMatchObject({ sessions: [], active_count: 0 });
    expect(await (await revoke("E-10442")).json()).toMatchObject({ revoked_count: 0, remaining_active: 0 });
  });

  it("revokes without a body", async () => {
    const res = await fetch(`${service.url}/v1/employees/E-10442/sessions/revoke`, {
      method: "POST",
      headers: AUTH,
    });
    expect(res.status).toBe(200);
  });

  it("restores revoked sessions on world load", async () => {
    await revoke("E-10442");
    await putWorld({});
    expect(((await (await listSessions("E-10442")).json()) as SessionList).active_count).toBeGreaterThan(0);
  });

  it.each([
    ["list", () => listSessions("elena")],
    ["revoke", () => revoke("E-1")],
  ])("answers 400 naming employee_id on %s", async (_name, call) => {
    const res = await call();
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_request", field: "employee_id" });
  });

  it("answers 400 naming the field of a bad revoke body", async () => {
    const res = await revoke("E-10442", { reason: "x".repeat(501) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_request", field: "reason" });
  });

  it("answers 400 to a body that is not JSON", async () => {
    const res = await fetch(`${service.url}/v1/employees/E-10442/sessions/revoke`, {
      method: "POST",
      headers: { ...AUTH, "content-type": "application/json" },
      body: "{reason:",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_json" });
  });

  it("answers 401 without a bearer token", async () => {
    const res = await request("GET", "/v1/employees/E-10442/sessions", undefined, {});
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "unauthorized", message: "missing bearer token" });
  });
});

describe("scopes", () => {
  it("answers 403 when the service account may not revoke", async () => {
    await putWorld({ service_account_scopes: ["sessions:read"] });
    const res = await revoke("E-10442");
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "insufficient_scope", required_scope: "sessions:revoke" });
    expect(((await (await listSessions("E-10442")).json()) as SessionList).active_count).toBeGreaterThan(0);
  });

  it("answers 403 when the service account may not read", async () => {
    await putWorld({ service_account_scopes: [] });
    expect(await (await listSessions("E-10442")).json()).toEqual({
      error: "insufficient_scope",
      required_scope: "sessions:read",
    });
  });

  it("checks auth, then faults, then validation, then scope", async () => {
    await putWorld({ service_account_scopes: [], faults: { status: 429 } });
    expect((await request("POST", "/v1/employees/bad/sessions/revoke", {}, {})).status).toBe(401);
    const limited = await revoke("bad");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(await limited.json()).toMatchObject({ error: "rate_limited" });

    await putWorld({ service_account_scopes: [] });
    expect((await revoke("bad")).status).toBe(400);
    expect((await revoke("E-10442")).status).toBe(403);
  });
});

describe("faults and world", () => {
  it("fails the first calls, then succeeds, and counts calls", async () => {
    await putWorld({ faults: { status: 504, fail_first: 2 } });
    const statuses = [];
    for (let call = 0; call < 3; call++) statuses.push((await listSessions("E-10442")).status);
    expect(statuses).toEqual([504, 504, 200]);
    const calls = await request("GET", "/admin/calls", undefined, {});
    expect(await calls.json()).toEqual({ calls: 3 });
  });

  it("drops fields from a successful answer", async () => {
    await putWorld({ faults: { drop_fields: ["active_count"] } });
    const body = (await (await listSessions("E-10442")).json()) as Record<string, unknown>;
    expect(body).not.toHaveProperty("active_count");
    expect(body).toHaveProperty("sessions");
  });

  it("rejects a bad world naming the field", async () => {
    const res = await putWorld({ service_account_scopes: "all" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_request", field: "service_account_scopes" });
  });
});

describe("an employee's own world", () => {
  const putEntityWorld = (entity: string, world: unknown) =>
    request("PUT", `/admin/worlds/${entity}`, world, {});
  const activeCount = async (employeeId: string) =>
    (
      (await (await request("GET", `/admin/employees/${employeeId}/sessions`, undefined, {})).json()) as {
        active_count: number;
      }
    ).active_count;

  it("answers that employee from it, and everyone else from the service's world", async () => {
    expect((await putEntityWorld("E-20931", { service_account_scopes: ["sessions:read"] })).status).toBe(204);
    expect((await revoke("E-20931")).status).toBe(403);
    expect(await activeCount("E-20931")).toBeGreaterThan(0);
    expect((await revoke("E-10442")).status).toBe(200);
    expect(await activeCount("E-10442")).toBe(0);
  });

  it("counts fail_first per employee, so tickets side by side do not share a counter", async () => {
    await putEntityWorld("E-20931", { faults: { status: 503, fail_first: 1 } });
    await putEntityWorld("E-30518", { faults: { status: 503, fail_first: 1 } });
    expect((await revoke("E-20931")).status).toBe(503);
    expect((await revoke("E-30518")).status).toBe(503);
    expect((await revoke("E-20931")).status).toBe(200);
    expect((await revoke("E-30518")).status).toBe(200);
    expect(await (await request("GET", "/admin/calls", undefined, {})).json()).toEqual({ calls: 4 });
  });

  it("starts afresh when set again, and goes away with the service's world", async () => {
    await putEntityWorld("E-20931", {});
    expect((await revoke("E-20931")).status).toBe(200);
    await putEntityWorld("E-20931", {});
    expect(await activeCount("E-20931")).toBeGreaterThan(0);
    await putEntityWorld("E-20931", { service_account_scopes: [] });
    await putWorld({});
    expect((await request("GET", "/admin/worlds/E-20931", undefined, {})).status).toBe(404);
    expect((await revoke("E-20931")).status).toBe(200);
  });

  it("refuses an entity that is neither an asset tag nor an employee id, and a bad world", async () => {
    const badEntity = await putEntityWorld("nobody", {});
    expect(badEntity.status).toBe(400);
    expect(await badEntity.json()).toMatchObject({ error: "invalid_request", field: "entity" });
    const badWorld = await putEntityWorld("E-20931", { faults: { status: 99 } });
    expect(badWorld.status).toBe(400);
    expect(await badWorld.json()).toMatchObject({ field: "faults.status" });
    expect((await request("DELETE", "/admin/worlds/E-20931", undefined, {})).status).toBe(404);
  });
});
