import { createHmac } from "node:crypto";
import { nameMatcher, PII_DETECTORS } from "./pii-patterns.ts";
import { replaceMatches } from "./replace-matches.ts";
import type { PiiKind } from "./pii-patterns.ts";

export type { PiiKind } from "./pii-patterns.ts";

/**
 * Keyed pseudonyms for personal data in the always-kept trace tier: one person gets one stable token
 * (`emp_3f9a1c2b7d`) so traces stay joinable, and without the key the token cannot be reversed or
 * recomputed from a guessed value.
 */
export interface Pseudonymizer {
  /** `<prefix>_<10 hex of HMAC-SHA256(key, kind + ":" + normalized value)>`. */
  token(kind: PiiKind, value: string): string;
  /**
   * `text` with employee ids, e-mails, IP addresses, phone numbers, device serials and the given names
   * replaced by their tokens; `text` itself when it holds none.
   */
  scrub(text: string, knownNames?: Iterable<string>): string;
}

const PREFIX: Record<PiiKind, string> = {
  employee_id: "emp",
  email: "email",
  name: "name",
  ip: "ip",
  serial: "serial",
  phone: "phone",
};

/** 10 hex = 40 bits: collisions stay unlikely up to ~10^5 distinct values per kind. */
const TOKEN_HEX_LENGTH = 10;
const MAX_CACHED_TOKENS = 10_000;
/** Nothing this short holds personal data by pattern (the shortest is an employee id, `E-1234`). */
const MIN_PII_LENGTH = 6;
/** Every pattern needs a digit, except e-mails (`@`); all-letter IPv6 addresses (`dead::beef`) are let go. */
const MAY_HOLD_PII = /[0-9@]/;

/** Spellings of one value that mean the same person or thing get the same token. */
function normalize(kind: PiiKind, value: string): string {
  const trimmed = value.trim().normalize("NFC");
  switch (kind) {
    case "email":
      return trimmed.toLowerCase();
    case "employee_id":
    case "serial":
      return trimmed.toUpperCase();
    case "name":
      return trimmed
        .normalize("NFD")
        .replace(/\p{M}/gu, "")
        .toLowerCase()
        .replace(/\s+/g, " ")
        .replace(/’/g, "'");
    case "ip":
      return canonicalIp(trimmed);
    case "phone":
      return canonicalPhone(trimmed);
  }
}

/** `2001:DB8:0::1` and `2001:db8::1` are one address; so are `010.0.0.1` and `10.0.0.1`. */
function canonicalIp(address: string): string {
  if (!address.includes(":")) return address.split(".").map(Number).join(".");
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address.toLowerCase();
  }
}

/** Digits only; `+1 415 555 0852`, `1-415-555-0852` and `(415) 555-0852` are one North American number. */
function canonicalPhone(phone: string): string {
  const digits = phone.replace(/\D/g, "");
  const countryCodeOne = phone.startsWith("+1") || /^1[ .-]/.test(phone);
  return countryCodeOne && digits.length === 11 ? digits.slice(1) : digits;
}

export function createPseudonymizer(key: Uint8Array): Pseudonymizer {
  const cache = new Map<string, string>();

  function token(kind: PiiKind, value: string): string {
    const cacheKey = `${kind}:${value}`;
    let cached = cache.get(cacheKey);
    if (cached === undefined) {
      const digest = createHmac("sha256", key)
        .update(`${kind}:${normalize(kind, value)}`)
        .digest("hex");
      cached = `${PREFIX[kind]}_${digest.slice(0, TOKEN_HEX_LENGTH)}`;
      if (cache.size >= MAX_CACHED_TOKENS) cache.clear();
      cache.set(cacheKey, cached);
    }
    return cached;
  }

  function scrub(text: string, knownNames?: Iterable<string>): string {
    let out = text;
    const names = knownNames === undefined ? undefined : nameMatcher(knownNames);
    if (names) out = out.replace(names, (name) => token("name", name));
    if (out.length < MIN_PII_LENGTH || !MAY_HOLD_PII.test(out)) return out;
    for (const { kind, pattern, locate } of PII_DETECTORS) {
      out = replaceMatches(out, pattern, (match) => {
        const range = locate(match);
        return range && { ...range, replacement: token(kind, out.slice(range.start, range.end)) };
      });
    }
    return out;
  }

  return { token, scrub };
}
