/**
 * The words the assistant writes into a trace and its readers (the diagnosis, the viewer, the
 * queries) and the simulated model read back: claim and caveat kinds, tool outcomes, evidence ids.
 */

/** What an answer may assert, each backed by evidence ids. */
export const CLAIM_KINDS = [
  "device_encrypted",
  "device_not_encrypted",
  "device_locked",
  "device_wiped",
  "sessions_revoked",
  "sessions_not_revoked",
  "account_disabled",
  "escalated_to_human",
] as const;
export type ClaimKind = (typeof CLAIM_KINDS)[number];

/** What an answer may qualify its claims with. */
export const CAVEAT_KINDS = ["stale_data", "tool_failed", "partial_data", "unverified"] as const;
export type CaveatKind = (typeof CAVEAT_KINDS)[number];

/** A tool call's `tool.outcome`: `partial` is a 200 without the fields the tool requires. */
export const TOOL_OUTCOMES = ["success", "partial", "error"] as const;
export type ToolOutcome = (typeof TOOL_OUTCOMES)[number];

/** A retrieved document's evidence id: `doc:<id>@<version>`. */
export const documentEvidenceId = (doc: { id: string; version: number }) => `doc:${doc.id}@${doc.version}`;

/** A tool call's evidence id: `tool:<call_id>`. */
export const toolEvidenceId = (call: { callId: string }) => `tool:${call.callId}`;

/** An analyst's verdict on an answer, joined to its trace. */
export const FEEDBACK_OUTCOMES = ["confirmed", "corrected", "escalated"] as const;
export type FeedbackOutcome = (typeof FEEDBACK_OUTCOMES)[number];

/** The diagnosis's verdict on an answer: supported when every claim is backed by evidence in the trace. */
export type Verdict = "supported" | "unsupported";

/** A W3C trace id: 32 lowercase hex characters. */
export const TRACE_ID_PATTERN = /^[0-9a-f]{32}$/;
