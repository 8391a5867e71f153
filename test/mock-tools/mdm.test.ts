import type { Express, Request, Response } from "express";
import type { Server } from "node:http";
import { networkInterfaces } from "node:os";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createMdmApp } from "../../mock-tools/mdm/app.ts";
import { listen, loopbackOnly } from "../../mock-tools/shared/service.ts";

const NOW = new Date("2026-03-02T12:00:00.000Z");
const AUTH = { authorization: "Bearer test-token" };

/** `listen` keeps its server to itself; spy on `app.listen` to get it back for closing. */
async function start(app: Express, host = "127.0.0.1") {
  const appListen = vi.spyOn(app, "listen");
  const url = await listen(app, "mdm", 0, host);
  const server = appListen.mock.results[0]?.value as Server;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let service: Awaited<ReturnType<typeof start>>;
const { app } = createMdmApp({ now: () => NOW });
beforeAll(async () => {
  service = await start(app);
});
afterAll(() => service.close());

const get = (path: string, headers: Record<string, string> = AUTH) => fetch(service.url + path, { headers });
const putWorld = (world: unknown) =>
  fetch(`${service.url}/admin/world`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(world),
  });
const callCount = async () => ((await (await get("/admin/calls")).json()) as { calls: number }).calls;

beforeEach(async () => {
  expect((await putWorld({})).status).toBe(204);
});

describe("device lookup", () => {
  it("returns the device record with the snapshot time", async () => {
    const res = await get("/v1/devices/LT-4821");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      asset: "LT-4821",
      serial: "C02XK1JHJG5J",
      owner: "E-10442",
      owner_name: "Elena Ruiz",
      owner_email: "elena.ruiz@example.com",
      last_seen_ip: "203.0.113.24",
      encrypted: true,
      locked: false,
      wiped: false,
      model: "MacBook Pro 14",
      os: "macOS 15.1",
      as_of: "2026-03-02T11:55:00.000Z",
    });
  });

  it("lists an owner's devices, or none", async () => {
    const res = await get("/v1/devices?owner=E-10442");
    const body = (await res.json()) as { owner: string; devices: { asset: string }[]; as_of: string };
    expect(body.owner).toBe("E-10442");
    expect(body.devices.map((device) => device.asset).sort()).toEqual(["LT-4821", "PH-7782"]);
    expect(body.as_of).toBe("2026-03-02T11:55:00.000Z");

    const none = await get("/v1/devices?owner=E-99999");
    expect(await none.json()).toMatchObject({ owner: "E-99999", devices: [] });
  });

  it("serves a snapshot taken sync_lag ago", async () => {
    await putWorld({ sync_lag: "26h" });
    const body = (await (await get("/v1/devices/LT-4821")).json()) as { as_of: string };
    expect(body.as_of).toBe("2026-03-01T10:00:00.000Z");
  });

  it("adds and replaces devices from the world", async () => {
    const stolen = {
      asset: "LT-4821",
      serial: "C02XK1JHJG5J",
      owner: "E-10442",
      owner_name: "Elena Ruiz",
      owner_email: "elena.ruiz@example.com",
      last_seen_ip: "198.51.100.9",
      encrypted: false,
    };
    const added = { ...stolen, asset: "LT-9001", serial: "C02NEW000001", encrypted: true };
    await putWorld({ devices: [stolen, added] });

    expect(await (await get("/v1/devices/LT-4821")).json()).toMatchObject({
      encrypted: false,
      last_seen_ip: "198.51.100.9",
      model: "MacBook Pro 14",
    });
    expect((await get("/v1/devices/LT-9001")).status).toBe(200);
    const owned = (await (await get("/v1/devices?owner=E-10442")).json()) as { devices: unknown[] };
    expect(owned.devices).toHaveLength(3);
  });

  it("answers 404 for an unknown device", async () => {
    const res = await get("/v1/devices/LT-0000");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "device_not_found", asset: "LT-0000" });
  });

  it.each([
    ["/v1/devices/laptop-1", "asset"],
    ["/v1/devices?owner=elena", "owner"],
    ["/v1/devices", "owner"],
  ])("answers 400 naming the field for %s", async (path, field) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_request", field });
  });

  it.each<Record<string, string>>([
    {},
    { authorization: "Bearer " },
    { authorization: "Basic dXNlcjpwdw==" },
  ])("answers 401 without a bearer token (%o)", async (headers) => {
    const res = await get("/v1/devices/LT-4821", headers);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "unauthorized", message: "missing bearer token" });
  });
});

describe("faults", () => {
  it("answers every call with the fault status", async () => {
    await putWorld({ faults: { status: 503 } });
    for (let call = 0; call < 3; call++) {
      const res = await get("/v1/devices/LT-4821");
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(await res.json()).toMatchObject({ error: "service_unavailable", message: expect.any(String) });
    }
    expect(await callCount()).toBe(3);
    expect((await get("/healthz", {})).status).toBe(200);
  });

  it("fails only the first calls with fail_first", async () => {
    await putWorld({ faults: { status: 500, fail_first: 2 } });
    const statuses = [];
    for (let call = 0; call < 3; call++) statuses.push((await get("/v1/devices/LT-4821")).status);
    expect(statuses).toEqual([500, 500, 200]);
  });

  it("delays answers by latency_ms", async () => {
    await putWorld({ faults: { latency_ms: 200 } });
    const started = performance.now();
    expect((await get("/v1/devices/LT-4821")).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(180);
  });

  it("drops fields from the record, also in an owner's list", async () => {
    await putWorld({ faults: { drop_fields: ["encrypted"] } });
    const device = (await (await get("/v1/devices/LT-4821")).json()) as Record<string, unknown>;
    expect(device).not.toHaveProperty("encrypted");
    expect(device).toHaveProperty("serial");

    const owned = (await (await get("/v1/devices?owner=E-10442")).json()) as { devices: object[] };
    for (const record of owned.devices) expect(record).not.toHaveProperty("encrypted");
  });

  it("leaves error bodies whole when dropping fields", async () => {
    await putWorld({ faults: { drop_fields: ["error"] } });
    expect(await (await get("/v1/devices/LT-0000")).json()).toMatchObject({ error: "device_not_found" });
  });

  it("resets the call counter on world load", async () => {
    const world = { faults: { status: 502, fail_first: 1 } };
    await putWorld(world);
    expect((await get("/v1/devices/LT-4821")).status).toBe(502);
    expect((await get("/v1/devices/LT-4821")).status).toBe(200);
    expect(await callCount()).toBe(2);

    await putWorld(world);
    expect(await callCount()).toBe(0);
    expect((await get("/v1/devices/LT-4821")).status).toBe(502);
  });
});

describe("admin", () => {
  it("returns the parsed world", async () => {
    await putWorld({ sync_lag: "26h" });
    expect(await (await get("/admin/world")).json()).toMatchObject({
      sync_lag: 26 * 3_600_000,
      devices: [],
      faults: { status: 200, fail_first: 0, latency_ms: 0, drop_fields: [] },
    });
  });

  it("rejects a bad world naming the field and keeps the current one", async () => {
    await putWorld({ sync_lag: "26h" });
    const res = await putWorld({ sync_lag: "soon" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_request", field: "sync_lag" });
    expect(await (await get("/admin/world")).json()).toMatchObject({ sync_lag: 26 * 3_600_000 });
  });

  it("answers 400 to a body that is not JSON", async () => {
    const res = await fetch(`${service.url}/admin/world`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: "{sync_lag:",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_json" });
  });

  it("refuses a caller that is not on loopback", () => {
    const req = { socket: { remoteAddress: "192.0.2.77" } } as Request;
    const res = { status: vi.fn().mockReturnThis(), json: vi.fn().mockReturnThis() };
    const next = vi.fn();
    loopbackOnly(req, res as unknown as Response, next);
    expect(next).not.toHaveBeenCalled();
    expect(res.status).toHaveBeenCalledWith(403);
    expect(res.json).toHaveBeenCalledWith(expect.objectContaining({ error: "forbidden" }));
  });

  // End to end needs an address other than loopback to call from; skipped on hosts without one.
  const lanAddress = Object.values(networkInterfaces())
    .flat()
    .find((address) => address?.family === "IPv4" && !address.internal)?.address;
  it.skipIf(!lanAddress)("guards the admin routes when called over the network", async () => {
    const exposed = await start(createMdmApp().app, "0.0.0.0");
    try {
      const port = new URL(exposed.url).port;
      const res = await fetch(`http://${lanAddress}:${port}/admin/world`);
      expect(res.status).toBe(403);
    } finally {
      await exposed.close();
    }
  });
});

describe("a device's own world", () => {
  const putEntityWorld = (entity: string, world: unknown) =>
    fetch(`${service.url}/admin/worlds/${entity}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(world),
    });

  it("answers that device from its own records, snapshot age and faults; others from the service's world", async () => {
    const device = { asset: "LT-7001", owner: "E-55501", encrypted: false };
    expect((await putEntityWorld("LT-7001", { sync_lag: "26h", devices: [device] })).status).toBe(204);
    expect((await putEntityWorld("LT-7002", { faults: { status: 503 } })).status).toBe(204);

    expect(await (await get("/v1/devices/LT-7001")).json()).toMatchObject({
      owner: "E-55501",
      encrypted: false,
      as_of: new Date(NOW.getTime() - 26 * 3_600_000).toISOString(),
    });
    expect((await get("/v1/devices/LT-7002")).status).toBe(503);
    // Unknown to the service's world, and LT-4821 still fresh there.
    expect((await get("/v1/devices?owner=E-55501")).status).toBe(200);
    expect(((await (await get("/v1/devices?owner=E-55501")).json()) as { devices: [] }).devices).toEqual([]);
    expect(await (await get("/v1/devices/LT-4821")).json()).toMatchObject({
      as_of: new Date(NOW.getTime() - 5 * 60_000).toISOString(),
    });
  });

  it("reads back an entity world, and forgets them all when the service's world is set", async () => {
    await putEntityWorld("LT-7001", { sync_lag: "2h" });
    expect(await (await get("/admin/worlds/LT-7001")).json()).toMatchObject({ sync_lag: 7_200_000 });
    await putWorld({});
    expect((await get("/admin/worlds/LT-7001")).status).toBe(404);
  });
});

describe("the truth behind the faults", () => {
  it("reads a device record whatever the faults, for the experiment's analyst", async () => {
    await putWorld({ faults: { status: 503, drop_fields: ["encrypted"] } });
    expect((await get("/v1/devices/LT-5530")).status).toBe(503);
    expect(await (await get("/admin/devices/LT-5530")).json()).toMatchObject({ encrypted: false });
    expect((await get("/admin/devices/LT-0000")).status).toBe(404);
  });
});
