/** Recognises the identifiers an incident report mentions. */

export interface Entities {
  employee_ids: string[];
  asset_tags: string[];
  owner_name: string | null;
}

/** E-10442: "E-" and 4 to 6 digits. */
const EMPLOYEE_ID = /\bE-\d{4,6}\b/g;
/** LT-4821, MBP-31007: 2 or 3 capitals, a dash, 3 to 6 digits. */
const ASSET_TAG = /\b[A-Z]{2,3}-\d{3,6}\b/g;

/** A capitalised word: Ruiz, O'Brien, McKay, Anne-Marie, Núñez. */
const NAME_WORD = String.raw`\p{Lu}[\p{L}'’-]*\p{Ll}`;
/** Two or three capitalised words, not glued to a preceding letter (`\b` is ASCII-only). */
const FULL_NAME = String.raw`(?<!\p{L})(${NAME_WORD}(?: ${NAME_WORD}){1,2})`;
const OWNER_PATTERNS = [
  // "Elena Ruiz (E-10442)" or "Marcus Webb, E-20931"
  new RegExp(String.raw`${FULL_NAME}(?: \(|, )E-\d{4,6}\b`, "u"),
  // "Elena Ruiz's laptop"
  new RegExp(String.raw`${FULL_NAME}['’]s (?:laptop|phone|device|tablet|MacBook|notebook)\b`, "u"),
];

function distinctMatches(text: string, pattern: RegExp): string[] {
  return [...new Set(text.match(pattern) ?? [])];
}

function ownerName(text: string): string | null {
  for (const pattern of OWNER_PATTERNS) {
    const name = pattern.exec(text)?.[1];
    if (name) return name;
  }
  return null;
}

/** Employee ids and asset tags in order of first appearance, and the owner's name when the text gives it. */
export function findEntities(text: string): Entities {
  return {
    employee_ids: distinctMatches(text, EMPLOYEE_ID),
    asset_tags: distinctMatches(text, ASSET_TAG),
    owner_name: ownerName(text),
  };
}
