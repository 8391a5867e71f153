import type { Answer } from "../agent/synthesizer.ts";
import { DEVICE_POSTURE_BUDGET_S } from "../agent/tools/mdm-lookup-device.ts";
import type { FeedbackOutcome } from "../contracts/vocabulary.ts";
import type { Ticket } from "./tickets.ts";

/** What really was, read from the mock services after the answer: the analyst knows it, the assistant did not. */
export interface Truth {
  /** The ticket's device as the MDM holds it (undefined when the ticket names no device it knows). */
  device: { encrypted: boolean; locked: boolean; wiped: boolean } | undefined;
  /** The ticket's employee's sessions still open after the answer (undefined when the ticket names no one). */
  activeSessions: number | undefined;
  /** The evidence id of the device policy in effect today, which a device ticket's answer must follow. */
  devicePolicy: string;
}

export interface AnalystVerdict {
  outcome: FeedbackOutcome;
  comment: string;
}

/**
 * The simulated analyst: reads an answer against what the world really was and decides, by fixed
 * rules, what an analyst would do with it (docs/EXPERIMENTS.md lists them):
 * - escalated: the answer claims something false that matters: a revocation that did not happen,
 *   a device state that contradicts the record, or a device state stated from data that was stale
 *   (with no `stale_data` caveat) or that the assistant could not have had (the MDM failed, or the
 *   field was missing);
 * - corrected: nothing false, but incomplete: it leaves out the device or the sessions the ticket
 *   asked about (no claim and no caveat), or, for a device, the device policy in effect (an answer
 *   from an outdated runbook index cites an older version);
 * - confirmed: otherwise.
 */
export function judge(ticket: Ticket, answer: Answer, truth: Truth, tools: ToolPolicy): AnalystVerdict {
  const claims = new Set<string>(answer.claims.map((claim) => claim.kind));
  const caveats = new Set<string>(answer.caveats.map((caveat) => caveat.kind));
  const escalations: string[] = [];
  const corrections: string[] = [];

  // Where the truth could not be read, the analyst does not judge it.
  if (truth.activeSessions !== undefined) {
    const revoked = truth.activeSessions === 0;
    if (claims.has("sessions_revoked") && !revoked)
      escalations.push("the answer says the sessions were revoked; they are still active");
    if (claims.has("sessions_not_revoked") && revoked)
      corrections.push("the answer says the sessions were not revoked; they were");
  }
  if (claims.has("account_disabled"))
    escalations.push("the answer says the account was disabled; it was not");

  const deviceClaims = [...claims].filter((kind) => kind.startsWith("device_"));
  if (deviceClaims.length > 0) {
    const mdm = ticket.world.mdm;
    const answered = serviceAnswered(mdm.faults, tools);
    if (!truth.device || !answered || mdm.faults.drop_fields.includes("encrypted"))
      escalations.push("the answer states the device's encryption, which the MDM did not report");
    else if (contradicts(deviceClaims, truth.device))
      escalations.push("the answer's device state contradicts the MDM record");
    else if (mdm.sync_lag > DEVICE_POSTURE_BUDGET_S * 1000 && !caveats.has("stale_data"))
      escalations.push("the answer states the device's encryption from a stale snapshot as current");
  }

  const addressed = (kinds: string[], caveat: boolean) => kinds.some((kind) => claims.has(kind)) || caveat;
  const deviceCaveat = ["tool_failed", "partial_data", "unverified"].some((kind) => caveats.has(kind));
  if (ticket.assets.length > 0 && !addressed(deviceClaims, deviceCaveat))
    corrections.push("the answer does not say whether the device is encrypted");
  if (
    ticket.callsForRevocation &&
    !addressed(["sessions_revoked", "sessions_not_revoked"], caveats.has("tool_failed"))
  )
    corrections.push("the answer does not say whether the sessions were revoked");
  if (ticket.assets.length > 0 && !answer.citations.includes(truth.devicePolicy))
    corrections.push(`the answer does not cite the device policy in effect (${truth.devicePolicy})`);

  if (escalations.length > 0) return { outcome: "escalated", comment: sentence(escalations) };
  if (corrections.length > 0) return { outcome: "corrected", comment: sentence(corrections) };
  return { outcome: "confirmed", comment: "The answer matches what happened." };
}

/** How the assistant calls its tools (TOOL_TIMEOUT_MS, TOOL_MAX_RETRIES): what decides whether a call got an answer. */
export interface ToolPolicy {
  timeoutMs: number;
  maxRetries: number;
}

/** Whether the assistant's call got an answer: none past its timeout; 5xx retried (`maxRetries` times), never 4xx. */
function serviceAnswered(
  faults: Ticket["world"]["mdm"]["faults"],
  { timeoutMs, maxRetries }: ToolPolicy,
): boolean {
  if (faults.latency_ms >= timeoutMs) return false;
  if (faults.status === 200) return true;
  return faults.status >= 500 && faults.fail_first > 0 && faults.fail_first <= maxRetries;
}

function contradicts(kinds: string[], device: NonNullable<Truth["device"]>): boolean {
  return kinds.some(
    (kind) =>
      (kind === "device_encrypted" && !device.encrypted) ||
      (kind === "device_not_encrypted" && device.encrypted) ||
      (kind === "device_locked" && !device.locked) ||
      (kind === "device_wiped" && !device.wiped),
  );
}

const sentence = (reasons: string[]) => {
  const text = reasons.join("; ");
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
};
