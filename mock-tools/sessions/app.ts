import { trace } from "@opentelemetry/api";
import { z } from "zod";
import type { Request } from "express";
import { injectFaults } from "../shared/faults.ts";
import { createServiceApp, loopbackOnly, parseOr400 } from "../shared/service.ts";
import { serveWorldAdmin, worldOfResponse, Worlds } from "../shared/worlds.ts";
import { employeeIdSchema, sessionsWorldSchema, type SessionsWorld } from "../../src/contracts/world.ts";
import { activeSessionsFor } from "./active-sessions.ts";
import { requireBearer } from "../shared/auth.ts";
import { hasScopeOr403 } from "./auth.ts";

// Parsed as an object so a 400 names the field.
const employeeParamsSchema = z.object({ employee_id: employeeIdSchema });
const revokeBodySchema = z.strictObject({ reason: z.string().max(500).optional() });

/** Each world's revoked employees and its call count. */
interface SessionsState {
  revoked: Set<string>;
  calls: number;
}
const startState = (): SessionsState => ({ revoked: new Set(), calls: 0 });

/**
 * The session-revocation mock (think identity provider admin API). Every employee has a few
 * deterministic sessions until they are revoked; what the service account may do comes from the world.
 * An employee may have a world of their own: its own scopes and faults.
 */
export function createSessionsApp(options: { world?: unknown; now?: () => Date } = {}) {
  const now = options.now ?? (() => new Date());
  const worlds = new Worlds(startState, sessionsWorldSchema.parse(options.world ?? {}));
  const setWorld = (raw: unknown) => worlds.reset(sessionsWorldSchema.parse(raw ?? {}));
  const worldOf = (req: Request) => worlds.of(req.params.employee_id);
  /** The employee's open sessions, in the world `state` belongs to. */
  const activeSessions = (state: SessionsState, employeeId: string) =>
    state.revoked.has(employeeId) ? [] : activeSessionsFor(employeeId, now());

  const app = createServiceApp("sessions");

  serveWorldAdmin(app, { schema: sessionsWorldSchema, worlds });
  // The truth an experiment's simulated analyst checks an answer against, whatever the assistant's scopes.
  app.get("/admin/employees/:employee_id/sessions", loopbackOnly, (req, res) => {
    const params = parseOr400(employeeParamsSchema, req.params, res);
    if (!params) return;
    res.json({
      employee_id: params.employee_id,
      active_count: activeSessions(worlds.of(params.employee_id).state, params.employee_id).length,
    });
  });

  app.use("/v1", requireBearer);

  app.get("/v1/employees/:employee_id/sessions", injectFaults(worldOf), (req, res) => {
    const params = parseOr400(employeeParamsSchema, req.params, res);
    const { world, state } = worldOfResponse<SessionsWorld, SessionsState>(res);
    if (!params || !hasScopeOr403(world.service_account_scopes, "sessions:read", res)) return;
    const sessions = activeSessions(state, params.employee_id);
    trace.getActiveSpan()?.setAttribute("sessions.active_count", sessions.length);
    res.json({ employee_id: params.employee_id, sessions, active_count: sessions.length });
  });

  app.post("/v1/employees/:employee_id/sessions/revoke", injectFaults(worldOf), (req, res) => {
    const params = parseOr400(employeeParamsSchema, req.params, res);
    // The reason is only validated: a real IdP would file it in its audit log.
    if (!params || !parseOr400(revokeBodySchema, req.body ?? {}, res)) return;
    const { world, state } = worldOfResponse<SessionsWorld, SessionsState>(res);
    if (!hasScopeOr403(world.service_account_scopes, "sessions:revoke", res)) return;
    const revokedCount = activeSessions(state, params.employee_id).length;
    state.revoked.add(params.employee_id);
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
