import { z } from "zod";
import { durationSchema } from "./duration.ts";

/**
 * The world a scenario sets up: the mock services' data, faults and IAM state, and the runbook
 * index snapshot. Every field has a healthy default, so `{}` is a healthy world.
 */

export const faultsSchema = z.strictObject({
  status: z.int().min(200).max(599).default(200),
  fail_first: z.int().min(0).default(0),
  latency_ms: z.int().min(0).max(120_000).default(0),
  drop_fields: z.array(z.string().min(1)).default([]),
});
export type Faults = z.infer<typeof faultsSchema>;

const EMPLOYEE_ID = /^E-\d{4,6}$/;
const ASSET_TAG = /^[A-Z]{2,3}-\d{3,6}$/;
export const employeeIdSchema = z
  .string()
  .regex(EMPLOYEE_ID, { error: "expected an employee id such as E-10442" });
export const assetTagSchema = z.string().regex(ASSET_TAG, { error: "expected an asset tag such as LT-4821" });

/**
 * A device record. Only `asset`, `owner` and `encrypted` are required; the rest get plausible
 * defaults derived from them, so a scenario states only what it is about.
 */
export const deviceSchema = z
  .strictObject({
    asset: assetTagSchema,
    serial: z.string().min(1).optional(),
    owner: employeeIdSchema,
    owner_name: z.string().min(1).optional(),
    owner_email: z.email().optional(),
    last_seen_ip: z.union([z.ipv4(), z.ipv6()]).optional(),
    encrypted: z.boolean(),
    locked: z.boolean().default(false),
    wiped: z.boolean().default(false),
    model: z.string().default("MacBook Pro 14"),
    os: z.string().default("macOS 15.1"),
  })
  .transform((device) => ({
    ...device,
    serial: device.serial ?? `C02${device.asset.replace("-", "")}`,
    owner_name: device.owner_name ?? `Employee ${device.owner}`,
    owner_email: device.owner_email ?? `${device.owner.toLowerCase()}@example.com`,
    // TEST-NET-2 (RFC 5737): an address that is plausible and never anyone's.
    last_seen_ip: device.last_seen_ip ?? "198.51.100.7",
  }));
export type Device = z.output<typeof deviceSchema>;

export const mdmWorldSchema = z.strictObject({
  /** Age of the inventory snapshot the MDM serves, in milliseconds once parsed. */
  sync_lag: durationSchema.default(5 * 60_000),
  /** Extra or replacement device records, keyed by asset tag. */
  devices: z.array(deviceSchema).default([]),
  faults: faultsSchema.prefault({}),
});
export type MdmWorld = z.infer<typeof mdmWorldSchema>;

export const sessionsWorldSchema = z.strictObject({
  service_account_scopes: z.array(z.string().min(1)).default(["sessions:read", "sessions:revoke"]),
  faults: faultsSchema.prefault({}),
});
export type SessionsWorld = z.infer<typeof sessionsWorldSchema>;

export const runbooksWorldSchema = z.strictObject({
  index_as_of: z
    .union([z.literal("current"), z.iso.date({ error: "expected 'current' or a date such as 2026-03-01" })])
    .default("current"),
});
export type RunbooksWorld = z.infer<typeof runbooksWorldSchema>;

export const worldSchema = z.strictObject({
  mdm: mdmWorldSchema.prefault({}),
  sessions: sessionsWorldSchema.prefault({}),
  runbooks: runbooksWorldSchema.prefault({}),
});
export type World = z.infer<typeof worldSchema>;

/** Zod's message for a missing field, in a scenario author's words. */
export const requiredFieldError = (issue: { input?: unknown; code?: string }) =>
  issue.input === undefined && issue.code === "invalid_type" ? "required" : undefined;

/** The section of the world file named by `WORLD_FILE` (`{mdm, sessions, runbooks}`) that one service takes. */
export async function worldSectionFromFile(section: keyof World): Promise<unknown> {
  const file = process.env.WORLD_FILE;
  if (!file) return undefined;
  const { readFile } = await import("node:fs/promises");
  return (JSON.parse(await readFile(file, "utf8")) as Partial<Record<keyof World, unknown>>)[section];
}
