import type { CaveatKind, ClaimKind } from "../../src/contracts/vocabulary.ts";
import type { ToolResult } from "./evidence.ts";

/** The `incident_answer` JSON the synthesizer returns, and wording both answer modes share. */

export interface Claim {
  kind: ClaimKind;
  statement: string;
  evidence: string[];
}

export interface Caveat {
  kind: CaveatKind;
  text: string;
  evidence: string[];
}

export interface IncidentAnswer {
  summary: string;
  claims: Claim[];
  citations: string[];
  caveats: Caveat[];
}

export const MDM_TOOL = "mdm_lookup_device";
export const REVOKE_TOOL = "revoke_sessions";

export const NO_EVIDENCE_ANSWER: IncidentAnswer = {
  summary: "No evidence was provided, so nothing about this incident can be verified.",
  claims: [],
  citations: [],
  caveats: [{ kind: "unverified", text: "No evidence was provided.", evidence: [] }],
};

const DEVICE_NOUNS: Record<string, string> = { LT: "laptop", MBP: "laptop", PH: "phone", TB: "tablet" };

/** "laptop" for LT-4821, "phone" for PH-7782: what the asset tag's prefix says the device is. */
export function deviceNoun(asset: string | undefined): string {
  return DEVICE_NOUNS[asset?.split("-")[0] ?? ""] ?? "device";
}

/** "2026-11-26T15:00Z": an ISO time to the minute, as a person would write it. */
export function shortTime(iso: string): string {
  return /^(\d{4}-\d\d-\d\dT\d\d:\d\d)(?::\d\d(?:\.\d+)?)?Z$/.exec(iso)?.[1]?.concat("Z") ?? iso;
}

/** "HTTP 403 insufficient_scope", "HTTP 503", "timeout (no HTTP response)": how a tool call failed. */
export function describeFailure({ http_status, error_type }: ToolResult): string {
  if (http_status) return error_type ? `HTTP ${http_status} ${error_type}` : `HTTP ${http_status}`;
  return `${error_type ?? "an unknown error"} (no HTTP response)`;
}

/** Capitalises the first letter and ends with a full stop. */
export function asSentence(text: string): string {
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}
