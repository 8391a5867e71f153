import { findEntities, type Entities } from "./entities.ts";

/** The `classify_incident` tool's arguments, as both models fill them in. */

export type Category = "lost_or_stolen_device" | "account_compromise" | "phishing" | "other";
export type Severity = "low" | "medium" | "high" | "critical";
export type Action = "lookup_device" | "revoke_sessions";

export interface Classification extends Entities {
  category: Category;
  severity: Severity;
  requested_actions: Action[];
}

const LOSS = /\b(?:stole|stolen|lost|missing|theft|left behind|misplaced)\b/i;
const DEVICE = /\b(?:laptops?|phones?|iphones?|devices?|tablets?|ipads?|macbooks?|notebooks?)\b/i;
const COMPROMISE =
  /\b(?:compromised|account takeover|suspicious (?:log-?in|sign-?in|sign in)s?|impossible travel|mfa fatigue|(?:credentials?|passwords?) (?:were |was )?(?:leaked|stolen)|(?:leaked|stolen) (?:credentials?|passwords?)|hacked)\b/i;
const PHISHING =
  /\b(?:phish(?:ing|ed)?|suspicious e-?mails?|clicked (?:on )?a link|malicious (?:links?|attachments?))\b/i;
/** An explicit request to end sessions: "revoke", "sign her out", "kill all sessions". */
const REVOKE_REQUEST =
  /\b(?:revoke|revoking|sign (?:\w+ )?out|log (?:\w+ )?out|(?:kill|terminate|end) (?:all |their |his |her |the |active |open )*sessions)\b/i;

const SEVERITY: Record<Category, Severity> = {
  lost_or_stolen_device: "high",
  account_compromise: "critical",
  phishing: "medium",
  other: "low",
};

const DEFAULT_ACTIONS: Record<Category, readonly Action[]> = {
  lost_or_stolen_device: ["lookup_device", "revoke_sessions"],
  account_compromise: ["revoke_sessions"],
  phishing: [],
  other: [],
};

/** Keyword rules in priority order: a lost device outranks a compromise, which outranks phishing. */
function categorize(text: string, entities: Entities): Category {
  if (LOSS.test(text) && (DEVICE.test(text) || entities.asset_tags.length > 0))
    return "lost_or_stolen_device";
  if (COMPROMISE.test(text)) return "account_compromise";
  if (PHISHING.test(text)) return "phishing";
  return "other";
}

function requestedActions(text: string, category: Category, entities: Entities): Action[] {
  const actions = new Set(DEFAULT_ACTIONS[category]);
  if (entities.asset_tags.length > 0 && category !== "phishing") actions.add("lookup_device");
  if (REVOKE_REQUEST.test(text)) actions.add("revoke_sessions");
  // Always in the order the assistant runs them: look the device up, then revoke.
  return (["lookup_device", "revoke_sessions"] as const).filter((action) => actions.has(action));
}

export function classifyIncident(text: string): Classification {
  const entities = findEntities(text);
  const category = categorize(text, entities);
  return {
    category,
    severity: SEVERITY[category],
    ...entities,
    requested_actions: requestedActions(text, category, entities),
  };
}
