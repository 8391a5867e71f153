import { trace } from "@opentelemetry/api";
import { z } from "zod";
import { createFaultInjector, withoutFields } from "../shared/faults.ts";
import { createServiceApp, parseOr400, serveWorldAdmin, sendError } from "../shared/service.ts";
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

/**
 * The device-management mock. It serves an inventory snapshot taken `sync_lag` ago, so a device
 * record may be stale; every answer carries the snapshot's `as_of` time.
 */
export function createMdmApp(options: { world?: unknown; now?: () => Date } = {}) {
  const now = options.now ?? (() => new Date());
  let world: MdmWorld;
  let inventory: Map<string, Device>;
  const faults = createFaultInjector(() => world.faults);

  function load(parsed: MdmWorld) {
    world = parsed;
    inventory = buildInventory(parsed.devices);
    faults.reset();
  }
  const setWorld = (raw: unknown) => load(mdmWorldSchema.parse(raw ?? {}));
  setWorld(options.world);

  function snapshotTime(): string {
    const asOf = new Date(now().getTime() - world.sync_lag).toISOString();
    trace.getActiveSpan()?.setAttribute("mdm.snapshot.as_of", asOf);
    return asOf;
  }

  const app = createServiceApp("mdm");

  serveWorldAdmin(app, { schema: mdmWorldSchema, load, world: () => world, calls: () => faults.calls });

  app.use("/v1", requireBearer, faults.middleware);

  app.get("/v1/devices/:asset", (req, res) => {
    const params = parseOr400(deviceParamsSchema, req.params, res);
    if (!params) return;
    const device = inventory.get(params.asset);
    if (!device) return sendError(res, 404, "device_not_found", { asset: params.asset });
    res.json({ ...device, as_of: snapshotTime() });
  });

  app.get("/v1/devices", (req, res) => {
    const query = parseOr400(ownerQuerySchema, req.query, res);
    if (!query) return;
    const owned = [...inventory.values()].filter((device) => device.owner === query.owner);
    // A partial record is partial wherever it appears, not only at the top level.
    const devices = owned.map((device) => withoutFields(device, world.faults.drop_fields));
    res.json({ owner: query.owner, devices, as_of: snapshotTime() });
  });

  return { app, setWorld };
}
