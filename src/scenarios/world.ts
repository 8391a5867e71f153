import { z } from "zod";
import { durationSchema } from "../shared/duration.ts";

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

export const deviceSchema = z.strictObject({
  asset: assetTagSchema,
  serial: z.string().min(1),
  owner: employeeIdSchema,
  owner_name: z.string().min(1),
  owner_email: z.email(),
  last_seen_ip: z.union([z.ipv4(), z.ipv6()]),
  encrypted: z.boolean(),
  locked: z.boolean().default(false),
  wiped: z.boolean().default(false),
  model: z.string().default("MacBook Pro 14"),
  os: z.string().default("macOS 15.1"),
});
export type Device = z.infer<typeof deviceSchema>;

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

/** The section of the world file named by `WORLD_FILE` (`{mdm, sessions, runbooks}`) that one service takes. */
export async function worldSectionFromFile(section: keyof World): Promise<unknown> {
  const file = process.env.WORLD_FILE;
  if (!file) return undefined;
  const { readFile } = await import("node:fs/promises");
  return (JSON.parse(await readFile(file, "utf8")) as Partial<Record<keyof World, unknown>>)[section];
}
