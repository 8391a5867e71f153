import { z } from "zod";
import { worldSchema, type World } from "../contracts/world.ts";
import { parseYamlFile } from "../scenarios/scenario.ts";
import { analystSchema, questionSchema } from "../contracts/question.ts";
import { SeededRandom } from "./random.ts";

/**
 * An incident ticket: a question, and the world it happens in. The world is keyed by the ticket's
 * entities (its device's asset tag, its employee), so tickets run side by side without sharing state.
 */
export interface Ticket {
  id: string;
  question: string;
  analyst: string | undefined;
  /** The employee and device the ticket is about: the mock services give each its own world. */
  employeeIds: string[];
  assets: string[];
  /** Whether the ticket calls for the employee's sessions to be revoked (by request or by runbook). */
  callsForRevocation: boolean;
  /** What kind of world the generator drew (for ticket files: `file`). */
  worldKind: WorldKind | "file";
  /** The world sections as the mock services take them, and parsed. */
  rawWorld: { mdm?: unknown; sessions?: unknown };
  world: World;
}

/**
 * The world mix, per 100 device tickets (a ticket draws only among the worlds that can touch it, so a
 * phishing question without an action meets a healthy world or a stale runbook index). Most incidents meet a healthy world; the rest are the failures
 * this project teaches, at rates a team could plausibly see in a bad week: stale MDM snapshots (the
 * commonest, since inventories sync nightly), a service account missing a scope after a permission
 * cleanup, 5xx that recover on retry and 5xx that do not, partial records, and a runbook index that
 * was not rebuilt after the device policy changed.
 */
export const WORLD_MIX = [
  ["healthy", 40],
  ["stale-snapshot", 15],
  ["missing-scope", 10],
  ["recovering-5xx", 10],
  ["failing-5xx", 5],
  ["partial-record", 5],
  ["stale-runbooks", 15],
] as const;
export type WorldKind = (typeof WORLD_MIX)[number][0];

/**
 * The category mix: device loss and account compromise dominate a security desk's queue; phishing
 * reports are frequent but need fewer actions; the rest are questions.
 */
const CATEGORY_MIX = [
  ["lost_or_stolen_device", 50],
  ["account_compromise", 20],
  ["phishing", 20],
  ["other", 10],
] as const;
type TicketCategory = (typeof CATEGORY_MIX)[number][0];

const FIRST_NAMES = [
  "Amara",
  "Bruno",
  "Chen",
  "Dalia",
  "Emeka",
  "Farah",
  "Goran",
  "Hana",
  "Ines",
  "Jonas",
  "Keiko",
  "Luis",
  "Maya",
  "Nikolai",
  "Olu",
  "Paula",
  "Quentin",
  "Rosa",
  "Sven",
  "Tariq",
  "Uma",
  "Viktor",
  "Wen",
  "Yara",
] as const;
const LAST_NAMES = [
  "Abbott",
  "Bianchi",
  "Castillo",
  "Dubois",
  "Eriksen",
  "Fischer",
  "Gupta",
  "Haddad",
  "Ivanova",
  "Jensen",
  "Kowalski",
  "Lindqvist",
  "Moreau",
  "Nakamura",
  "Okonkwo",
  "Petrov",
  "Quinn",
  "Rossi",
  "Silva",
  "Tanaka",
] as const;
const DEVICES = [
  { prefix: "LT", noun: "laptop", model: "ThinkPad X1 Carbon Gen 11", os: "Windows 11 23H2" },
  { prefix: "MBP", noun: "MacBook", model: "MacBook Pro 14", os: "macOS 15.1" },
  { prefix: "PH", noun: "phone", model: "iPhone 15", os: "iOS 18.1" },
  { prefix: "TB", noun: "tablet", model: "iPad Air 11", os: "iPadOS 18.1" },
] as const;
const PLACES = [
  "at the airport",
  "from a car",
  "on the train",
  "at a conference",
  "from a hotel room",
] as const;

/** The device policy's current version took effect on 2026-09-01: an index as of March holds the old one. */
const STALE_INDEX_DATE = "2026-03-01";

/** The ids of the default fleet's people and devices: generated tickets never collide with them. */
const RESERVED = new Set(["E-10442", "E-20931", "E-30518", "E-41277", "LT-4821", "PH-7782", "MBP-31007"]);

/** N tickets from a seed: the same seed gives the same tickets. */
export function generateTickets(count: number, seed: number): Ticket[] {
  const random = new SeededRandom(seed);
  const used = new Set(RESERVED);
  const unique = (make: () => string) => {
    for (;;) {
      const id = make();
      if (!used.has(id)) {
        used.add(id);
        return id;
      }
    }
  };
  return Array.from({ length: count }, (_, index) => {
    const category = random.weighted(CATEGORY_MIX);
    const name = `${random.pick(FIRST_NAMES)} ${random.pick(LAST_NAMES)}`;
    const employeeId = unique(() => `E-${random.int(50_000, 99_999)}`);
    const device = random.pick(DEVICES);
    const asset = unique(() => `${device.prefix}-${random.int(1_000, 99_999)}`);
    const { question, callsForRevocation, aboutDevice } = questionFor(category, random, {
      name,
      employeeId,
      asset,
      noun: device.noun,
    });
    // Only worlds that can touch this ticket: a broken MDM is no news to a ticket that never looks a device up.
    const touches = { device: aboutDevice, revocation: callsForRevocation };
    const worldKind = random.weighted(WORLD_MIX.filter(([kind]) => worldCanTouch(kind, touches)));
    const rawWorld = worldFor(worldKind, random, touches, {
      asset,
      owner: employeeId,
      owner_name: name,
      encrypted: !random.chance(0.15),
      model: device.model,
      os: device.os,
    });
    return {
      id: `t${String(index + 1).padStart(4, "0")}`,
      question,
      analyst: `analyst-${random.int(1, 9)}`,
      employeeIds: [employeeId],
      assets: aboutDevice ? [asset] : [],
      callsForRevocation,
      worldKind,
      rawWorld,
      world: worldSchema.parse(rawWorld),
    };
  });
}

interface Person {
  name: string;
  employeeId: string;
  asset: string;
  noun: string;
}

function questionFor(category: TicketCategory, random: SeededRandom, who: Person) {
  const { name, employeeId, asset, noun } = who;
  switch (category) {
    case "lost_or_stolen_device": {
      const loss = random.pick(["stolen", "lost", "missing"]);
      const asks = random.pick([
        "Is it encrypted, and are their sessions revoked?",
        "Is the device encrypted? Please revoke all of their sessions.",
        "Can you confirm encryption and sign them out everywhere?",
      ]);
      return {
        question: `${name} (${employeeId}) reports ${noun} ${asset} ${loss} ${random.pick(PLACES)}. ${asks}`,
        callsForRevocation: true,
        aboutDevice: true,
      };
    }
    case "account_compromise":
      return {
        question: `${name} (${employeeId}) ${random.pick([
          "got an MFA fatigue attack and approved one prompt",
          "shows a suspicious sign-in from an unknown country",
          "says the account looks compromised after impossible travel alerts",
        ])}. Revoke all sessions and tell me what else to do.`,
        callsForRevocation: true,
        aboutDevice: false,
      };
    case "phishing": {
      const entered = random.chance(0.5);
      return {
        question: entered
          ? `${name} (${employeeId}) clicked a link in a phishing e-mail and typed a password into the page. Sign them out everywhere.`
          : `${name} (${employeeId}) forwarded a suspicious e-mail asking for payroll details. What should we do?`,
        callsForRevocation: entered,
        aboutDevice: false,
      };
    }
    case "other":
      return {
        question: `${name} (${employeeId}) asks whether personal USB drives may be used with a work ${noun}.`,
        callsForRevocation: false,
        aboutDevice: false,
      };
  }
}

interface GeneratedDevice {
  asset: string;
  owner: string;
  owner_name: string;
  encrypted: boolean;
  model: string;
  os: string;
}

/** The world sections of one ticket: its device always, and what its world kind breaks. */
/** Whether a world kind can change the answer to a ticket that looks a device up, or revokes sessions. */
function worldCanTouch(kind: WorldKind, ticket: { device: boolean; revocation: boolean }): boolean {
  switch (kind) {
    case "healthy":
    case "stale-runbooks":
      return true;
    case "stale-snapshot":
    case "partial-record":
      return ticket.device;
    case "missing-scope":
    case "failing-5xx":
      return ticket.revocation;
    case "recovering-5xx":
      return ticket.device || ticket.revocation;
  }
}

function worldFor(
  kind: WorldKind,
  random: SeededRandom,
  ticket: { device: boolean; revocation: boolean },
  device: GeneratedDevice,
): Ticket["rawWorld"] {
  const mdm: Record<string, unknown> = { devices: [device] };
  const sessions: Record<string, unknown> = {};
  const runbooks: Record<string, unknown> = {};
  switch (kind) {
    case "healthy":
      break;
    case "stale-snapshot":
      mdm.sync_lag = random.pick(["3h", "9h", "26h", "50h"]);
      break;
    case "missing-scope":
      sessions.service_account_scopes = ["sessions:read"];
      break;
    case "recovering-5xx": {
      const faults = { status: random.pick([502, 503, 504]), fail_first: random.int(1, 2) };
      const onMdm = ticket.device && (!ticket.revocation || random.chance(0.5));
      if (onMdm) mdm.faults = faults;
      else sessions.faults = faults;
      break;
    }
    case "failing-5xx":
      sessions.faults = { status: random.pick([500, 502, 503]) };
      break;
    case "partial-record":
      mdm.faults = { drop_fields: ["encrypted"] };
      break;
    case "stale-runbooks":
      runbooks.index_as_of = STALE_INDEX_DATE;
      break;
  }
  return { mdm, sessions, ...(Object.keys(runbooks).length > 0 && { runbooks }) };
}

/** A ticket file entry: a scenario's request and world, nothing else. */
const ticketEntrySchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, { error: "expected a kebab-case id" })
    .max(64)
    .optional(),
  request: z.strictObject({ question: questionSchema, analyst: analystSchema.optional() }),
  world: worldSchema.prefault({}),
});
/** Each runbook index date starts an API per arm: a file may name a few, not hundreds. */
const MAX_INDEX_DATES = 10;
const ticketFileSchema = z
  .array(ticketEntrySchema)
  .min(1, { error: "expected at least one ticket" })
  .max(5_000, { error: "expected at most 5,000 tickets" })
  .refine(
    (entries) => new Set(entries.map((entry) => entry.world.runbooks.index_as_of)).size <= MAX_INDEX_DATES,
    {
      error: `expected at most ${MAX_INDEX_DATES} different runbooks.index_as_of dates`,
    },
  );

const EMPLOYEE_IDS = /\bE-\d{4,6}\b/g;
const ASSET_TAGS = /\b[A-Z]{2,3}-\d{3,6}\b/g;
/** A ticket calls for revocation when it asks for it, or when its runbook would (a lost device, a compromise). */
const CALLS_FOR_REVOCATION =
  /\b(?:revoke|sessions?|sign (?:\w+ )?out|log (?:\w+ )?out|stolen|lost|missing|compromised|takeover)\b/i;

/** Tickets from a YAML list of scenario-like entries (`{id?, request, world?}`); bad input names file and field. */
export function loadTicketFile(file: string): Ticket[] {
  const { data, raw } = parseYamlFile(file, ticketFileSchema);
  const rawEntries = raw as { world?: { mdm?: unknown; sessions?: unknown } }[];
  return data.map((entry, index) => {
    const { question, analyst } = entry.request;
    const owners = entry.world.mdm.devices.map((device) => device.owner);
    return {
      id: entry.id ?? `t${String(index + 1).padStart(4, "0")}`,
      question,
      analyst,
      employeeIds: [...new Set([...(question.match(EMPLOYEE_IDS) ?? []), ...owners])],
      assets: [...new Set(question.match(ASSET_TAGS) ?? [])],
      callsForRevocation: CALLS_FOR_REVOCATION.test(question),
      worldKind: "file",
      rawWorld: { mdm: rawEntries[index]?.world?.mdm, sessions: rawEntries[index]?.world?.sessions },
      world: entry.world,
    };
  });
}
