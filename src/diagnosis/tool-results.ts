import { formatAge } from "../contracts/duration.ts";
import type { ToolCall } from "../trace/facts.ts";

/** Judgements and phrases about one tool result, shared by the tool checks and the claim checks. */

export const succeeded = (call: ToolCall) => call.outcome === "success";

export const failed = (call: ToolCall) => call.outcome === "error";

/**
 * How stale a result is, when it is older than its freshness budget (strictly: data exactly at the
 * budget still counts). Undefined for fresh or undated data; a failed call returned no data to be stale.
 */
export function staleness(call: ToolCall): { ageS: number; budgetS: number } | undefined {
  const { ageS, freshnessBudgetS: budgetS } = call;
  if (failed(call) || ageS === undefined || budgetS === undefined || ageS <= budgetS) return undefined;
  return { ageS, budgetS };
}

/** "26h", "59m": a number of seconds in the compact age format. */
export const ageText = (seconds: number) => formatAge(seconds * 1000);

/** "HTTP 403 insufficient_scope", "HTTP 503", "timeout": what the trace records of a failure. */
export function failureText(call: ToolCall): string {
  const redundant = call.errorType === `http_${call.httpStatus}`;
  const parts = [
    call.httpStatus !== undefined && `HTTP ${call.httpStatus}`,
    !redundant && call.errorType,
  ].filter((part): part is string => typeof part === "string" && part !== "");
  return parts.length > 0 ? parts.join(" ") : (call.span.statusMessage ?? "an error");
}

export const missingText = (call: ToolCall) =>
  call.missingFields.length > 0 ? call.missingFields.join(", ") : "required fields";

/** How a call ended, as a verb phrase: "returned HTTP 403 insufficient_scope", "succeeded with HTTP 200". */
export function outcomeText(call: ToolCall): string {
  switch (call.outcome) {
    case "error":
      return call.httpStatus !== undefined
        ? `returned ${failureText(call)}`
        : `failed with ${failureText(call)}`;
    case "partial":
      return `returned a partial record missing ${missingText(call)}`;
    case "success":
      return call.httpStatus !== undefined ? `succeeded with HTTP ${call.httpStatus}` : "succeeded";
    case undefined:
      return "recorded no outcome";
  }
}
