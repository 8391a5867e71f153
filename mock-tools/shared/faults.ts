import { trace } from "@opentelemetry/api";
import type { RequestHandler, Response } from "express";
import { setTimeout as delay } from "node:timers/promises";
import { sendError } from "./service.ts";
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

export interface FaultInjector {
  /** Delays, fails or trims each answer as the current faults say. */
  middleware: RequestHandler;
  /** Calls seen since the last reset. */
  readonly calls: number;
  /** Starts counting afresh, so `fail_first` applies again; call it on world load. */
  reset(): void;
}

/** Fault injection for a mock service; `currentFaults` is read on every call, so world reloads apply at once. */
export function createFaultInjector(currentFaults: () => Faults): FaultInjector {
  let calls = 0;

  const middleware: RequestHandler = async (_req, res, next) => {
    const faults = currentFaults();
    const call = ++calls;
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

  return {
    middleware,
    get calls() {
      return calls;
    },
    reset() {
      calls = 0;
    },
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
