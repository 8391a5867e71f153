import { trace } from "@opentelemetry/api";
import type { Request, RequestHandler, Response } from "express";
import { setTimeout as delay } from "node:timers/promises";
import { sendError } from "./service.ts";
import type { LiveWorld } from "./worlds.ts";
import type { Faults } from "../../src/contracts/world.ts";

/** What a real gateway or API says with each status, so the assistant sees realistic failures. */
const FAILURES: Record<number, { code: string; message: string; retryAfter?: boolean }> = {
  401: { code: "unauthorized", message: "token expired or revoked" },
  403: { code: "forbidden", message: "access denied" },
  404: { code: "not_found", message: "resource not found" },
  429: { code: "rate_limited", message: "too many requests, slow down", retryAfter: true },
  500: { code: "internal_error", message: "internal server error" },
  502: { code: "bad_gateway", message: "upstream returned an invalid response" },
  503: { code: "service_unavailable", message: "service temporarily unavailable", retryAfter: true },
  504: { code: "gateway_timeout", message: "upstream did not answer in time" },
};

/**
 * Delays, fails or trims each answer as the faults of the request's world say. `worldOf` picks that
 * world, so each entity with a world of its own counts its calls (what `fail_first` counts) apart.
 */
export function injectFaults(
  worldOf: (req: Request) => LiveWorld<{ faults: Faults }, { calls: number }>,
): RequestHandler {
  return async (req, res, next) => {
    const live = worldOf(req);
    // The handler answers from this same world, even if a new one is loaded while the answer waits.
    res.locals.world = live;
    const { world, state } = live;
    const { faults } = world;
    const call = ++state.calls;
    const span = trace.getActiveSpan();
    if (faults.latency_ms > 0) {
      span?.setAttribute("mock.fault.latency_ms", faults.latency_ms);
      await delay(faults.latency_ms);
    }
    const failing = faults.status !== 200 && (faults.fail_first === 0 || call <= faults.fail_first);
    if (failing) {
      span?.setAttribute("mock.fault.status", faults.status);
      return sendFailure(res, faults.status);
    }
    if (faults.drop_fields.length > 0) {
      span?.setAttribute("mock.fault.dropped_fields", faults.drop_fields);
      dropFieldsFromSuccess(res, faults.drop_fields);
    }
    next();
  };
}

function sendFailure(res: Response, status: number) {
  const failure = FAILURES[status] ?? { code: "error", message: `request failed with status ${status}` };
  if (failure.retryAfter) res.set("Retry-After", "1");
  sendError(res, status, failure.code, { message: failure.message });
}

/** A partial record: successful JSON answers lose these top-level fields. */
function dropFieldsFromSuccess(res: Response, fields: string[]) {
  const json = res.json.bind(res);
  res.json = (body: unknown) => json(res.statusCode < 300 ? withoutFields(body, fields) : body);
}

/** `body` minus `fields` when it is a JSON object; anything else unchanged. */
export function withoutFields(body: unknown, fields: string[]): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body).filter(([key]) => !fields.includes(key)));
}
