import { DEFAULT_DEVICES } from "../../mock-tools/mdm/inventory.ts";
import type { Device } from "../../src/contracts/world.ts";
import type { FeedbackRecord } from "../../src/store/trace-store.ts";

/**
 * The outcome mix of the generated store: the built-in scenarios (README) and two everyday
 * variants, weighted so that the named queries select a realistic share of the traces.
 */
export interface Scenario {
  name: string;
  weight: number;
  category: "lost_or_stolen_device" | "account_compromise";
  routingPolicy: "cost-saver" | "fast-only";
  synthesizerPrompt: "v1" | "v2";
  mdm: "fresh" | "stale" | "partial" | "timeout";
  revoke: "ok" | "forbidden" | "flaky";
  /** `current`, or the date of a stale runbook index snapshot. */
  indexAsOf: "current" | "2026-03-01";
  /** Chance of each analyst verdict arriving later as feedback. */
  feedback: Partial<Record<FeedbackRecord["outcome"], number>>;
}

const HEALTHY: Omit<Scenario, "name" | "weight"> = {
  category: "lost_or_stolen_device",
  routingPolicy: "cost-saver",
  synthesizerPrompt: "v2",
  mdm: "fresh",
  revoke: "ok",
  indexAsOf: "current",
  feedback: { confirmed: 0.05 },
};

const ESCALATED_OFTEN = { escalated: 0.3, corrected: 0.1 };

export const SCENARIOS: readonly Scenario[] = [
  { ...HEALTHY, name: "healthy", weight: 46 },
  { ...HEALTHY, name: "account-compromise", weight: 6, category: "account_compromise" },
  { ...HEALTHY, name: "stale-snapshot", weight: 10, mdm: "stale" },
  { ...HEALTHY, name: "stale-runbook", weight: 6, indexAsOf: "2026-03-01" },
  { ...HEALTHY, name: "cheap-route", weight: 8, routingPolicy: "fast-only", feedback: { corrected: 0.1 } },
  { ...HEALTHY, name: "v1-prompt", weight: 5, synthesizerPrompt: "v1" },
  { ...HEALTHY, name: "flaky-revoke", weight: 4, revoke: "flaky" },
  { ...HEALTHY, name: "mdm-timeout", weight: 2, mdm: "timeout" },
  {
    ...HEALTHY,
    name: "revoke-403",
    weight: 7,
    synthesizerPrompt: "v1",
    revoke: "forbidden",
    feedback: ESCALATED_OFTEN,
  },
  {
    ...HEALTHY,
    name: "partial-record",
    weight: 4,
    synthesizerPrompt: "v1",
    mdm: "partial",
    feedback: ESCALATED_OFTEN,
  },
  {
    ...HEALTHY,
    name: "elena",
    weight: 2,
    synthesizerPrompt: "v1",
    mdm: "stale",
    revoke: "forbidden",
    feedback: { escalated: 1 },
  },
];

export const DEVICES: readonly Device[] = DEFAULT_DEVICES;
export const ANALYSTS = Array.from({ length: 12 }, (_, index) => `analyst-${index + 1}`);

const DEVICE_NOUNS: Record<string, string> = { LT: "laptop", MBP: "laptop", PH: "phone", TB: "tablet" };
export const WHERE = [
  "stolen at the airport",
  "lost on the train",
  "missing after a conference",
  "stolen from a car",
];

export function deviceQuestion(device: Device, where: string): string {
  const noun = DEVICE_NOUNS[device.asset.split("-")[0] ?? ""] ?? "device";
  return `${device.owner_name} (${device.owner}) reports ${noun} ${device.asset} ${where}. Is it encrypted, and are their sessions revoked?`;
}

export function compromiseQuestion(device: Device): string {
  return `${device.owner_name} (${device.owner}) entered their password on a phishing page and we see logins from an unknown IP. Revoke their sessions.`;
}
