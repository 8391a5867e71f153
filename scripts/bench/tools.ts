import type { Device } from "../../src/contracts/world.ts";
import type { HttpHop } from "./http-hop.ts";
import type { Random } from "./random.ts";
import type { Scenario } from "./scenarios.ts";

/** What one tool call did, as its TOOL span and the synthesizer's evidence record it. */
export interface ToolRun {
  name: string;
  description: string;
  parameters: string;
  args: Record<string, string>;
  /** One HTTP hop per attempt; retries follow a 5xx or a timeout. */
  attempts: HttpHop[];
  outcome: "success" | "partial" | "error";
  httpStatus: number | null;
  errorType?: string;
  /** The span's status message when the call failed. */
  errorMessage?: string;
  asOf?: string;
  ageS?: number;
  missingFields: string[];
  /** `tool.result.*` attributes: freshness and the facts the result establishes. */
  resultAttributes: Record<string, unknown>;
  data: unknown;
}

/** How old the MDM snapshot is: the default sync lag, or the 26 hours of the stale-snapshot scenario. */
const SYNC_LAG_S = 300;
const STALE_SYNC_LAG_S = 26 * 3600;
const FRESHNESS_BUDGET_S = 3600;
const TIMEOUT_MS = 2000;

function lookupDevice(random: Random, device: Device, mode: Scenario["mdm"], nowMs: number): ToolRun {
  const base = {
    name: "mdm_lookup_device",
    description:
      "Look up a device in the MDM inventory snapshot: owner, encryption, lock and wipe state, and as-of time.",
    parameters: String.raw`{"type":"object","properties":{"asset_tag":{"type":"string","pattern":"^[A-Z]{2,3}-\\d{3,6}$"}},"required":["asset_tag"]}`,
    args: { asset_tag: device.asset },
  };
  const path = `/v1/devices/${device.asset}`;
  if (mode === "timeout") {
    const attempt: HttpHop = {
      method: "GET",
      service: "mdm",
      path,
      durationMs: TIMEOUT_MS,
      serverAttributes: { "mock.fault.latency_ms": 3000 },
    };
    return {
      ...base,
      attempts: [attempt, attempt, attempt],
      outcome: "error",
      httpStatus: null,
      errorType: "timeout",
      errorMessage: `no answer within ${TIMEOUT_MS} ms`,
      missingFields: [],
      resultAttributes: { "tool.result.freshness_budget_s": FRESHNESS_BUDGET_S },
      data: null,
    };
  }
  const ageS = mode === "stale" ? STALE_SYNC_LAG_S : SYNC_LAG_S;
  const asOf = new Date(nowMs - ageS * 1000).toISOString();
  const dropped = mode === "partial" ? ["encrypted"] : [];
  const record: Record<string, unknown> = { ...device, as_of: asOf };
  for (const field of dropped) delete record[field];
  const facts = Object.fromEntries(
    (["encrypted", "locked", "wiped"] as const)
      .filter((field) => !dropped.includes(field))
      .map((field) => [`tool.result.device.${field}`, device[field]]),
  );
  return {
    ...base,
    attempts: [
      {
        method: "GET",
        service: "mdm",
        path,
        route: "/v1/devices/:asset",
        durationMs: random.latency(12),
        status: 200,
        serverAttributes: {
          ...(dropped.length > 0 && { "mock.fault.dropped_fields": dropped }),
          "mdm.snapshot.as_of": asOf,
        },
      },
    ],
    outcome: dropped.length > 0 ? "partial" : "success",
    httpStatus: 200,
    asOf,
    ageS,
    missingFields: dropped,
    resultAttributes: {
      "tool.result.as_of": asOf,
      "tool.result.age_s": ageS,
      "tool.result.freshness_budget_s": FRESHNESS_BUDGET_S,
      ...facts,
      "tool.result.device.asset": device.asset,
    },
    data: record,
  };
}

function revokeSessions(
  random: Random,
  device: Device,
  mode: Scenario["revoke"],
  requestId: string,
  nowMs: number,
): ToolRun {
  const base = {
    name: "revoke_sessions",
    description: "Revoke every active session of an employee (needs the sessions:revoke scope).",
    parameters: String.raw`{"type":"object","properties":{"employee_id":{"type":"string","pattern":"^E-\\d{4,6}$"},"reason":{"type":"string"}},"required":["employee_id"]}`,
    args: { employee_id: device.owner, reason: `incident request ${requestId}` },
    missingFields: [],
  };
  const path = `/v1/employees/${device.owner}/sessions/revoke`;
  const route = "/v1/employees/:employee_id/sessions/revoke";
  if (mode === "forbidden") {
    return {
      ...base,
      attempts: [
        {
          method: "POST",
          service: "sessions",
          path,
          route,
          durationMs: random.latency(8),
          status: 403,
          serverAttributes: { "service_account.scopes": ["sessions:read"] },
        },
      ],
      outcome: "error",
      httpStatus: 403,
      errorType: "insufficient_scope",
      resultAttributes: {},
      data: { error: "insufficient_scope", required_scope: "sessions:revoke" },
    };
  }
  const revoked = random.int(1, 6);
  const unavailable: HttpHop = {
    method: "POST",
    service: "sessions",
    path,
    durationMs: random.latency(4),
    status: 503,
    serverAttributes: { "mock.fault.status": 503 },
  };
  return {
    ...base,
    attempts: [
      ...(mode === "flaky" ? [unavailable, unavailable] : []),
      {
        method: "POST",
        service: "sessions",
        path,
        route,
        durationMs: random.latency(10),
        status: 200,
        serverAttributes: {
          "service_account.scopes": ["sessions:read", "sessions:revoke"],
          "sessions.revoked_count": revoked,
        },
      },
    ],
    outcome: "success",
    httpStatus: 200,
    resultAttributes: { "tool.result.sessions.revoked_count": revoked },
    data: {
      employee_id: device.owner,
      revoked_count: revoked,
      revoked_at: new Date(nowMs).toISOString(),
      remaining_active: 0,
    },
  };
}

export const tool = { lookupDevice, revokeSessions };
