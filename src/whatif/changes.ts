import { ATTR } from "../contracts/semconv.ts";
import { diagnose, type Diagnosis } from "../diagnosis/index.ts";
import type { SpanRecord, TraceStore } from "../store/trace-store.ts";
import { text } from "../trace/attribute-values.ts";
import { readTrace, type ToolCall } from "../trace/facts.ts";
import { rootOf } from "../trace/request.ts";
import { WhatIfError } from "./recording.ts";

/**
 * One intervention on a recorded trace (SPEC section 11). `none` changes nothing: its replay must
 * reproduce the recorded answer, which is how a recording is checked.
 */
export type Change =
  | { kind: "none" }
  | { kind: "fresh-data" }
  | { kind: "restore-scope" }
  | { kind: "tool-ok"; tool: string }
  | { kind: "route"; route: "strong" | "fast" }
  | { kind: "prompt"; prompt: "v1" | "v2" }
  | { kind: "runbooks-current" };

export const CHANGE_FORMS =
  "none, fresh-data, restore-scope, tool-ok=<tool>, route=strong|fast, prompt=v1|v2, runbooks=current or all";

export function parseChange(text: string): Change {
  const [name, value] = text.split("=", 2) as [string, string | undefined];
  if (name === "none" && value === undefined) return { kind: "none" };
  if (name === "fresh-data" && value === undefined) return { kind: "fresh-data" };
  if (name === "restore-scope" && value === undefined) return { kind: "restore-scope" };
  if (name === "tool-ok" && value && /^[a-z_]+$/.test(value)) return { kind: "tool-ok", tool: value };
  if (name === "route" && (value === "strong" || value === "fast")) return { kind: "route", route: value };
  if (name === "prompt" && (value === "v1" || value === "v2")) return { kind: "prompt", prompt: value };
  if (name === "runbooks" && value === "current") return { kind: "runbooks-current" };
  throw new WhatIfError(`unknown change ${JSON.stringify(text)}; expected ${CHANGE_FORMS}`);
}

export function changeName(change: Change): string {
  switch (change.kind) {
    case "tool-ok":
      return `tool-ok=${change.tool}`;
    case "route":
      return `route=${change.route}`;
    case "prompt":
      return `prompt=${change.prompt}`;
    case "runbooks-current":
      return "runbooks=current";
    default:
      return change.kind;
  }
}

/** A tool result older than its freshness budget: what `fresh-data` changes. */
export const isStale = (call: ToolCall) =>
  call.ageS !== undefined && call.freshnessBudgetS !== undefined && call.ageS > call.freshnessBudgetS;

/** A tool call refused for a missing scope: what `restore-scope` changes. */
export const refusedForScope = (call: ToolCall) =>
  call.httpStatus === 403 || call.errorType === "insufficient_scope";

/**
 * The changes that could alter this trace's answer, each read from the trace's safe metadata alone
 * (no restricted payload): data older than its budget, a call refused for a missing scope, each tool
 * that did not succeed, the other route, the other prompt, and the current runbooks when the
 * recorded index was stale.
 */
export function applicableChanges(spans: readonly SpanRecord[], diagnosis: Diagnosis): Change[] {
  const facts = readTrace(spans);
  const calls = facts.toolCalls;
  const stale = calls.some(isStale);
  const scopeRefused = calls.some(refusedForScope);
  const failedTools = [
    ...new Set(calls.filter((call) => call.outcome !== "success").map((call) => call.tool)),
  ];
  const prompt = text(rootOf(spans)?.attributes[ATTR.synthesizerPromptVersion]);
  const changes: Change[] = [
    ...(stale ? [{ kind: "fresh-data" } as const] : []),
    ...(scopeRefused ? [{ kind: "restore-scope" } as const] : []),
    ...failedTools.map((tool) => ({ kind: "tool-ok", tool }) as const),
    { kind: "route", route: facts.routes[0]?.route === "fast" ? "strong" : "fast" },
    { kind: "prompt", prompt: prompt === "synthesizer-v1" ? "v2" : "v1" },
  ];
  if (diagnosis.findings.some((finding) => finding.kind === "stale_retrieval"))
    changes.push({ kind: "runbooks-current" });
  return changes;
}

/** The applicable changes of a stored trace, by name; none for a trace the store does not hold. */
export async function applicableChangeNames(store: TraceStore, traceId: string): Promise<string[]> {
  const spans = await store.spansOf(traceId);
  return spans.length === 0 ? [] : applicableChanges(spans, diagnose(spans)).map(changeName);
}
