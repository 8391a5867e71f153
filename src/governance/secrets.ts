import {
  CREDENTIAL_KEY,
  redactAssignments,
  redactBareCredentials,
  redactCredentialValue,
} from "./secret-context.ts";
import { TEXT_FORMATS } from "./secret-patterns.ts";
import { redactTokens } from "./token-scan.ts";

/**
 * Secret redaction for span attributes, events, logs and API responses: synchronous, returning its input
 * untouched when nothing is found, and layered from the most to the least specific evidence:
 * 1. exact values from the project's own configuration (`knownSecrets`);
 * 2. multi-token formats (secret-patterns.ts): PEM private keys, webhook URLs;
 * 3. context (secret-context.ts): credential keys, auth headers, cookies, URL userinfo;
 * 4. single-token formats (secret-patterns.ts: vendor keys, JWTs), then high-entropy tokens of unknown
 *    formats (entropy.ts), in one scan of the text's tokens (token-scan.ts).
 */
export interface SecretRedactor {
  /** `text` with each secret replaced by `[REDACTED:<kind>]`; `text` itself when it holds none. */
  redact(text: string): string;
  containsSecret(text: string): boolean;
  /**
   * A JSON-like value (primitives, arrays, plain objects) with secrets redacted in every string, object
   * key included, and the whole value under a credential key (`{password: …}`, `["--token", …]`).
   * Unchanged branches are returned as they are, not copied; other objects (Date, Buffer, …) pass through.
   */
  redactDeep(value: unknown): unknown;
}

export interface SecretRedactorOptions {
  /** Credentials from the project's configuration, redacted wherever they appear. */
  knownSecrets?: readonly string[];
}

/** Shorter configured values ("sim") would redact ordinary words. */
const MIN_KNOWN_SECRET_LENGTH = 8;
/** No known format is shorter; shorter strings need a separator or a space to hold a secret. */
const MIN_FORMAT_LENGTH = 16;
const SEPARATOR_OR_SPACE = /[=:\s]/;
const MAX_DEPTH = 32;

const TEXT_FORMAT_PATTERNS = TEXT_FORMATS.map(({ kind, anchor, source }) => ({
  anchor,
  pattern: new RegExp(source, "g"),
  marker: `[REDACTED:${kind}]`,
}));

/** Each configured secret as it may appear: raw, inside a JSON string, URL-encoded; longest first. */
function knownSecretSpellings(secrets: readonly string[]): string[] {
  const spellings = new Set<string>();
  for (const raw of secrets) {
    const secret = raw.trim();
    if (secret.length < MIN_KNOWN_SECRET_LENGTH) continue;
    spellings.add(secret);
    spellings.add(JSON.stringify(secret).slice(1, -1));
    spellings.add(encodeURIComponent(secret));
  }
  return [...spellings].sort((a, b) => b.length - a.length);
}

const CLI_FLAG = /^--?([A-Za-z][\w-]*)$/;
const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/;

function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // Malformed escapes elsewhere in the text: decode the well-formed UTF-8 sequences one by one.
    return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (escapes) => {
      try {
        return decodeURIComponent(escapes);
      } catch {
        return escapes;
      }
    });
  }
}

export function createSecretRedactor(options: SecretRedactorOptions = {}): SecretRedactor {
  const knownSecrets = knownSecretSpellings(options.knownSecrets ?? []);

  /** Redacts `text`, and its percent-decoded form when only that reveals a secret (`password%3A%20…`). */
  function redact(text: string): string {
    const out = redactLiteral(text);
    if (!out.includes("%") || !PERCENT_ESCAPE.test(out)) return out;
    const decoded = percentDecode(out);
    const redactedDecoded = redactLiteral(decoded);
    return redactedDecoded === decoded ? out : redactedDecoded;
  }

  function redactLiteral(text: string): string {
    let out = text;
    for (const secret of knownSecrets) {
      if (out.includes(secret)) out = out.replaceAll(secret, "[REDACTED:configured_credential]");
    }
    if (out.length < MIN_FORMAT_LENGTH && !SEPARATOR_OR_SPACE.test(out)) return out;
    for (const { anchor, pattern, marker } of TEXT_FORMAT_PATTERNS) {
      if (out.includes(anchor)) out = out.replace(pattern, marker);
    }
    out = redactAssignments(out);
    out = redactBareCredentials(out);
    return redactTokens(out);
  }

  /** A value under credential key `key`: scalars are redacted, containers redacted throughout. */
  function redactUnderKey(key: string, value: unknown, depth: number): unknown {
    if (typeof value === "string") return redactCredentialValue(key, value);
    if (typeof value === "number" || typeof value === "bigint") {
      const text = String(value);
      const redacted = redactCredentialValue(key, text);
      return redacted === text ? value : redacted;
    }
    return walk(value, depth, key);
  }

  function walkArray(array: readonly unknown[], depth: number, sensitiveKey: string | undefined): unknown[] {
    let copy: unknown[] | undefined;
    for (let i = 0; i < array.length; i++) {
      const item = array[i];
      const flag = i > 0 && typeof array[i - 1] === "string" ? CLI_FLAG.exec(array[i - 1] as string) : null;
      const key = flag && CREDENTIAL_KEY.test(flag[1]!) ? flag[1]! : sensitiveKey;
      const redacted = key === undefined ? walk(item, depth + 1) : redactUnderKey(key, item, depth + 1);
      if (redacted !== item) {
        copy ??= array.slice();
        copy[i] = redacted;
      }
    }
    return copy ?? (array as unknown[]);
  }

  function walkObject(
    object: Record<string, unknown>,
    depth: number,
    sensitiveKey: string | undefined,
  ): Record<string, unknown> {
    let copy: Record<string, unknown> | undefined;
    const entries = Object.entries(object);
    for (const [key, item] of entries) {
      const safeKey = redact(key);
      const credentialKey = CREDENTIAL_KEY.test(key) ? key : sensitiveKey;
      const redacted =
        credentialKey === undefined ? walk(item, depth + 1) : redactUnderKey(credentialKey, item, depth + 1);
      if (safeKey !== key || redacted !== item) {
        copy ??= Object.fromEntries(entries);
        if (safeKey !== key) delete copy[key];
        copy[safeKey] = redacted;
      }
    }
    return copy ?? object;
  }

  function walk(value: unknown, depth: number, sensitiveKey?: string): unknown {
    if (typeof value === "string")
      return sensitiveKey === undefined ? redact(value) : redactCredentialValue(sensitiveKey, value);
    if (typeof value !== "object" || value === null) return value;
    if (depth > MAX_DEPTH) return "[REDACTED:too_deep]";
    if (Array.isArray(value)) return walkArray(value, depth, sensitiveKey);
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype !== Object.prototype && prototype !== null) return value;
    return walkObject(value as Record<string, unknown>, depth, sensitiveKey);
  }

  return {
    redact,
    containsSecret: (text) => redact(text) !== text,
    redactDeep: (value) => walk(value, 0),
  };
}
