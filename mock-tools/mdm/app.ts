import { trace } from "@opentelemetry/api";
import { z } from "zod";
import type { Request } from "express";
import { injectFaults, withoutFields } from "../shared/faults.ts";
import { createServiceApp, loopbackOnly, parseOr400, sendError } from "../shared/service.ts";
import { serveWorldAdmin, worldOfResponse, Worlds } from "../shared/worlds.ts";
import {
  assetTagSchema,
  employeeIdSchema,
  mdmWorldSchema,
  type Device,
  type MdmWorld,
} from "../../src/contracts/world.ts";
import { requireBearer } from "../shared/auth.ts";
import { buildInventory } from "./inventory.ts";

// Parsed as objects so a 400 names the offending field.
const deviceParamsSchema = z.object({ asset: assetTagSchema });
const ownerQuerySchema = z.object({ owner: employeeIdSchema });

/** Each world's inventory (the default fleet with its devices) and its call count. */
interface MdmState {
  inventory: Map<string, Device>;
  calls: number;
}
const startState = (world: MdmWorld): MdmState => ({ inventory: buildInventory(world.devices), calls: 0 });

/**
 * The device-management mock. It serves an inventory snapshot taken `sync_lag` ago, so a device
 * record may be stale; every answer carries the snapshot's `as_of` time. A device (asset tag) or an
 * owner (employee id) may have a world of its own: its own records, snapshot age and faults.
 */
export function createMdmApp(options: { world?: unknown; now?: () => Date } = {}) {
  const now = options.now ?? (() => new Date());
  const worlds = new Worlds(startState, mdmWorldSchema.parse(options.world ?? {}));
  const setWorld = (raw: unknown) => worlds.reset(mdmWorldSchema.parse(raw ?? {}));

  function snapshotTime(world: MdmWorld): string {
    const asOf = new Date(now().getTime() - world.sync_lag).toISOString();
    trace.getActiveSpan()?.setAttribute("mdm.snapshot.as_of", asOf);
    return asOf;
  }
  const worldOfDevice = (req: Request) => worlds.of(req.params.asset);
  const worldOfOwner = (req: Request) => worlds.of(req.query.owner);
  const app = createServiceApp("mdm");

  serveWorldAdmin(app, { schema: mdmWorldSchema, worlds });

  // The truth an experiment's simulated analyst checks an answer against, whatever the faults.
  app.get("/admin/devices/:asset", loopbackOnly, (req, res) => {
    const params = parseOr400(deviceParamsSchema, req.params, res);
    if (!params) return;
    const device = worldOfDevice(req).state.inventory.get(params.asset);
    if (!device) return sendError(res, 404, "device_not_found", { asset: params.asset });
    res.json(device);
  });

  app.use("/v1", requireBearer);

  app.get("/v1/devices/:asset", injectFaults(worldOfDevice), (req, res) => {
    const params = parseOr400(deviceParamsSchema, req.params, res);
    if (!params) return;
    const { world, state } = worldOfResponse<MdmWorld, MdmState>(res);
    const device = state.inventory.get(params.asset);
    if (!device) return sendError(res, 404, "device_not_found", { asset: params.asset });
    res.json({ ...device, as_of: snapshotTime(world) });
  });

  app.get("/v1/devices", injectFaults(worldOfOwner), (req, res) => {
    const query = parseOr400(ownerQuerySchema, req.query, res);
    if (!query) return;
    const { world, state } = worldOfResponse<MdmWorld, MdmState>(res);
    const owned = [...state.inventory.values()].filter((device) => device.owner === query.owner);
    // A partial record is partial wherever it appears, not only at the top level.
    const devices = owned.map((device) => withoutFields(device, world.faults.drop_fields));
    res.json({ owner: query.owner, devices, as_of: snapshotTime(world) });
  });

  return { app, setWorld };
}
