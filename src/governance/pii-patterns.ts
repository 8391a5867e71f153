import { isIPv6 } from "node:net";

/**
 * Personal data found by pattern in free text: one detector per kind, each a global regex led by a
 * literal or a narrow class (`@`, `:`, a digit), so the engine skips ahead instead of trying every
 * alternative at every position (one combined regex was 6× slower). Where the part before the anchor
 * matters, a lookbehind captures it (group 1) and the detector widens the range. Near misses are
 * rejected in code, where the rule reads more plainly than in a regex.
 */
export type PiiKind = "employee_id" | "email" | "name" | "ip" | "serial" | "phone";

export interface PiiDetector {
  kind: PiiKind;
  pattern: RegExp;
  /** The personal data's range in the text, or undefined for a near miss. */
  locate(match: RegExpExecArray): { start: number; end: number } | undefined;
}

/** The match, widened to the prefix captured by a lookbehind (group 1). */
function withPrefix(match: RegExpExecArray): { start: number; end: number } {
  return { start: match.index - (match[1]?.length ?? 0), end: match.index + match[0].length };
}

function whole(match: RegExpExecArray): { start: number; end: number } {
  return { start: match.index, end: match.index + match[0].length };
}

/** Loopback and unspecified addresses identify no one, and `127.0.0.1:3000` should stay readable. */
function isPersonalAddress(address: string): boolean {
  return !(address.startsWith("127.") || address === "0.0.0.0" || address === "::1" || address === "::");
}

const OCTET = String.raw`(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)`;
const MIN_PHONE_DIGITS = 8;
const MAX_PHONE_DIGITS = 15;

function phoneRange(match: RegExpExecArray): { start: number; end: number } | undefined {
  const digits = match[0].replace(/\D/g, "").length;
  return digits >= MIN_PHONE_DIGITS && digits <= MAX_PHONE_DIGITS ? whole(match) : undefined;
}

/** Order matters: e-mails first, so that their domains are not read as anything else. */
export const PII_DETECTORS: readonly PiiDetector[] = [
  {
    kind: "email",
    pattern:
      /@(?<=(?<![\w.%+-])([A-Za-z0-9][\w.%+-]{0,63})@)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])/g,
    locate: withPrefix,
  },
  // `E-` + 4–6 digits, not part of a longer code.
  { kind: "employee_id", pattern: /(?<![\w-])[Ee]-\d{4,6}(?![\w-])/g, locate: whole },
  // IPv6: led by its first colon, validated by node:net. A letter or digit before the candidate
  // (`T17:06:56`) keeps timestamps out, and `17:06:56` itself is no valid address; a trailing `.`
  // or `:` belongs to the sentence.
  {
    kind: "ip",
    pattern: /:(?<=(?<![\w:.])([0-9A-Fa-f]{0,4}):)[0-9A-Fa-f:.]*/g,
    locate(match) {
      const range = withPrefix(match);
      const address = (match[1] + match[0]).replace(/[.:]+$/, "");
      if (!isIPv6(address) || !isPersonalAddress(address)) return undefined;
      return { start: range.start, end: range.start + address.length };
    },
  },
  // IPv4: four octets 0–255, not part of a longer dotted number or a version (`v1.2.3.4`, `1.2.3.4.5`).
  {
    kind: "ip",
    pattern: new RegExp(String.raw`(?<![\w.])${OCTET}(?:\.${OCTET}){3}(?![\w]|\.\d)`, "g"),
    locate: (match) => (isPersonalAddress(match[0]) ? whole(match) : undefined),
  },
  // International numbers: `+`, a country code, groups (`+1 415 555 0852`, `+44 20 7946 0958`).
  {
    kind: "phone",
    pattern: /(?<![\w+])\+[1-9]\d{0,2}(?:[ .-]?\(?\d{1,4}\)?)(?:[ .-]?\d{2,4}){1,5}(?![\w]|[.-]\d)/g,
    locate: phoneRange,
  },
  // North American numbers: `(415) 555-0852`, or `415-555-0852` with one separator throughout, maybe
  // after a `1-`. Dates (4-2-2) and times never have these shapes.
  {
    kind: "phone",
    pattern: /(?<![\w+.-])(?:1[ .-]?)?(?:\(\d{3}\)[ .-]?\d{3}[ .-]|\d{3}([ .-])\d{3}\1)\d{4}(?![\w]|[.-]\d)/g,
    locate: whole,
  },
  // Device serials (Apple-style `C02MVSM4V1IR`): led by their first digit.
  { kind: "serial", pattern: /\d(?<=(?<![\w-])([A-Z0-9]{0,13})\d)[A-Z0-9]*(?![\w-])/g, locate: serialRange },
];

/**
 * 10–14 upper-case letters and digits, at least two of each: this project's hex ids (lower case), ALL-CAPS
 * words, numbers and asset tags (`LT-4821`, `MBP-31007`) stay.
 */
function serialRange(match: RegExpExecArray): { start: number; end: number } | undefined {
  const range = withPrefix(match);
  const serial = match[1] + match[0];
  const letters = serial.replace(/\d/g, "").length;
  const digits = serial.length - letters;
  const plausible = serial.length >= 10 && serial.length <= 14 && letters >= 2 && digits >= 2;
  return plausible ? range : undefined;
}

/** Compiled matchers by name list; null: the list holds no usable name. */
const nameMatchers = new Map<string, RegExp | null>();
const MAX_CACHED_NAME_SETS = 64;
const ESCAPE = /[.*+?^${}()|[\]\\]/g;

/** One name as a pattern: any run of spaces between parts, either apostrophe, accents optional. */
function namePattern(name: string): string {
  let pattern = "";
  for (const char of name) {
    if (/\s/.test(char)) {
      if (!pattern.endsWith("\\s+")) pattern += "\\s+";
    } else if (char === "'" || char === "’") {
      pattern += "['’]";
    } else {
      const escaped = char.replace(ESCAPE, "\\$&");
      const decomposed = char.normalize("NFD");
      const base = decomposed.replace(/\p{M}/gu, "");
      pattern += base === char ? escaped : `(?:${escaped}|${decomposed}|${base})`;
    }
  }
  return pattern;
}

/**
 * A regex for the given names: case-insensitive, whole words (a hyphenated or longer word does not match,
 * a possessive `'s` does). Cached per name set.
 */
export function nameMatcher(names: Iterable<string>): RegExp | undefined {
  const given = Array.isArray(names) ? (names as readonly string[]) : [...names];
  const cacheKey = given.join("\u0000");
  let matcher = nameMatchers.get(cacheKey);
  if (matcher === undefined) {
    matcher = buildNameMatcher(given);
    if (nameMatchers.size >= MAX_CACHED_NAME_SETS) nameMatchers.clear();
    nameMatchers.set(cacheKey, matcher);
  }
  return matcher ?? undefined;
}

function buildNameMatcher(names: readonly string[]): RegExp | null {
  const cleaned = [...new Set(names.map((name) => name.trim().normalize("NFC")))].filter(
    (n) => n.length >= 2,
  );
  if (cleaned.length === 0) return null;
  const alternatives = cleaned.sort((a, b) => b.length - a.length).map(namePattern);
  return new RegExp(
    String.raw`(?<![\p{L}\p{M}\p{N}_-])(?:${alternatives.join("|")})(?![\p{L}\p{M}\p{N}_]|-[\p{L}\p{N}])`,
    "giu",
  );
}
