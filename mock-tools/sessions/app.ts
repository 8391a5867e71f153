import { trace } from "@opentelemetry/api";
import { z } from "zod";
import { createFaultInjector } from "../shared/faults.ts";
import { createServiceApp, parseOr400, serveWorldAdmin } from "../shared/service.ts";
import { employeeIdSchema, sessionsWorldSchema, type SessionsWorld } from "../../src/contracts/world.ts";
import { activeSessionsFor } from "./active-sessions.ts";
import { requireBearer } from "../shared/auth.ts";
import { hasScopeOr403 } from "./auth.ts";

// Parsed as an object so a 400 names the field.
const employeeParamsSchema = z.object({ employee_id: employeeIdSchema });
const revokeBodySchema = z.strictObject({ reason: z.string().max(500).optional() });

/**
 * The session-revocation mock (think identity provider admin API). Every employee has a few
 * deterministic sessions until they are revoked; what the service account may do comes from the world.
 */
export function createSessionsApp(options: { world?: unknown; now?: () => Date } = {}) {
  const now = options.now ?? (() => new Date());
  let world: SessionsWorld;
  const revokedEmployees = new Set<string>();
  const faults = createFaultInjector(() => world.faults);

  function load(parsed: SessionsWorld) {
    world = parsed;
    revokedEmployees.clear();
    faults.reset();
  }
  const setWorld = (raw: unknown) => load(sessionsWorldSchema.parse(raw ?? {}));
  setWorld(options.world);

  const activeSessions = (employeeId: string) =>
    revokedEmployees.has(employeeId) ? [] : activeSessionsFor(employeeId, now());

  const app = createServiceApp("sessions");

  serveWorldAdmin(app, { schema: sessionsWorldSchema, load, world: () => world, calls: () => faults.calls });

  app.use("/v1", requireBearer, faults.middleware);

  app.get("/v1/employees/:employee_id/sessions", (req, res) => {
    const params = parseOr400(employeeParamsSchema, req.params, res);
    if (!params || !hasScopeOr403(world.service_account_scopes, "sessions:read", res)) return;
    const sessions = activeSessions(params.employee_id);
    trace.getActiveSpan()?.setAttribute("sessions.active_count", sessions.length);
    res.json({ employee_id: params.employee_id, sessions, active_count: sessions.length });
  });

  app.post("/v1/employees/:employee_id/sessions/revoke", (req, res) => {
    const params = parseOr400(employeeParamsSchema, req.params, res);
    // The reason is only validated: a real IdP would file it in its audit log.
    if (!params || !parseOr400(revokeBodySchema, req.body ?? {}, res)) return;
    if (!hasScopeOr403(world.service_account_scopes, "sessions:revoke", res)) return;
    const revokedCount = activeSessions(params.employee_id).length;
    revokedEmployees.add(params.employee_id);
    trace.getActiveSpan()?.setAttribute("sessions.revoked_count", revokedCount);
    res.json({
      employee_id: params.employee_id,
      revoked_count: revokedCount,
      revoked_at: now().toISOString(),
      remaining_active: 0,
    });
  });

  return { app, setWorld };
}
