import { replaceMatches } from "./replace-matches.ts";

/**
 * Secrets recognised by their context rather than their format: the value after a credential-ish key
 * (`password: …`, `"api_key":"…"`, `?token=…&`, `Cookie: …`, `Authorization: Bearer …`), a bare
 * `Bearer`/`Basic` credential, and the password in URL userinfo. The key, scheme and URL stay readable;
 * only the credential becomes `[REDACTED:<kind>]`.
 */

/**
 * Key names that announce a credential. Short or ambiguous words must start the key (`pwd`, `sid`, `auth`),
 * so that `bypass` or `rsid` do not count; long, unambiguous ones may end a longer key (`client_secret`,
 * `accessToken`, `MDM_API_TOKEN`). In text a key counts only when a separator follows it at once, so
 * `token_count: 12` and `sessions:read` stay.
 */
const KEY_STARTING_WORDS = "pwd|pass|sid|auth|sig|signature|session|creds|cookie|authorization";
const KEY_ENDING_WORDS = [
  "password|passwd|passphrase|token|credentials?|sessid|session[_-]?id",
  "secret(?:[_-]?(?:access[_-]?)?key)?|(?:api|access|account|private|signing|encryption)[_-]?key",
].join("|");

/** An object key or CLI flag name that names a credential, e.g. `password`, `x-api-key`, `set-cookie`. */
export const CREDENTIAL_KEY = new RegExp(
  `(?:^|[^A-Za-z0-9])(?:${KEY_STARTING_WORDS})$|(?:${KEY_ENDING_WORDS})$`,
  "i",
);

/** The start of a word: after a non-alphanumeric, or after a JSON escape (`…\npwd=x`). */
const WORD_START = String.raw`(?:(?<![A-Za-z0-9])|(?<=\\[nrt]))`;

const KEY_WORDS = `${WORD_START}(?:${KEY_STARTING_WORDS})|(?<=[?&])key|${KEY_ENDING_WORDS}`;

/**
 * A separator (`=`, `:`, `:=`, `=>`) preceded by a key (group 1) and the key's closing quote (group 2),
 * then the value's opening quote (group 3); quotes may be escaped, once per level of JSON nesting.
 * Led by the separator so the engine scans for `:`/`=` only (6× faster than trying every key word at
 * every position).
 */
const ASSIGNMENT = new RegExp(
  String.raw`[:=](?<=(${KEY_WORDS})(\\*["'])?[ \t]*[:=])[=>]?[ \t]*(\\*"|')?`,
  "gi",
);

/**
 * Words that also head prose ("credentials: reset the password", "session: 3 of 5"): after them a bare
 * `: ` is read as prose; `=`, a quoted key (`"session": …`) or `:` without a space still count.
 */
const PROSE_KEY = /^(?:pass|credentials?|creds|auth|sig|signature|session|sid)$/i;
/**
 * "Rotate the token: revoke the old one": after a bare `: `, a plain word followed by more words is prose.
 * Not for passwords, which may well be words ("correct horse battery staple").
 */
const PROSE_CONTINUATION = /^[A-Za-z][a-z]*[ \t]+[A-Za-z]/;

/** Values that are not secrets: empty, masked, placeholders, already redacted. */
const PLACEHOLDER =
  /^(?:null|nil|none|true|false|undefined|\*+|x{3,}|\.{3}|…|\[REDACTED.*|<[^>]*>?|\$\{[^}]*\}?|\{\{.*|%[A-Za-z_]+%)$/i;
const SHORT_NUMBER = /^\d{1,4}$/;
const AUTH_SCHEME = /^(bearer|basic|token|digest|negotiate|ntlm|apikey|dpop|aws4-hmac-sha256)[ \t]+/i;
const MAX_SCHEME_LENGTH = 40;

/**
 * How far an unquoted value runs. `query`: `key=value` ends at whitespace, a quote or a query, cookie or
 * list delimiter. `colon`: `key: value` (YAML, prose) may hold `;`, `&` or `<`. `header`: a `Cookie:`
 * header value runs to the end of the line.
 */
type ValueSyntax = "query" | "colon" | "header";

function kindOfKey(key: string): string {
  const lower = key.toLowerCase();
  if (lower.includes("pass") || lower.endsWith("pwd")) return "password";
  if (lower.includes("secret") || lower.includes("signing") || lower.includes("encryption")) return "secret";
  if (lower.includes("cookie")) return "cookie";
  if (lower.includes("authorization")) return "authorization";
  if (lower.includes("token")) return "token";
  if (lower.includes("sess") || lower.endsWith("sid")) return "session";
  if (lower.includes("private")) return "private_key";
  if (lower.includes("key")) return "api_key";
  if (lower.includes("sig")) return "signature";
  return "credential";
}

/** Where the value that starts at `start` ends, given its opening quote (if any). */
function valueEnd(text: string, start: number, quote: string | undefined, syntax: ValueSyntax): number {
  let i = start;
  if (quote !== undefined && quote.length > 1) {
    // A quote escaped k times (JSON inside JSON) closes at a quote escaped at most k times.
    const escapes = quote.length - 1;
    for (; i < text.length; i++) {
      if (text[i] !== '"') continue;
      let backslashes = 0;
      while (text[i - backslashes - 1] === "\\") backslashes++;
      if (backslashes <= escapes) return i - backslashes;
    }
    return i;
  }
  if (quote === '"') {
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    return Math.min(i, text.length);
  }
  if (quote === "'") {
    while (i < text.length && text[i] !== "'" && text[i] !== "\n") i++;
    return i;
  }
  const stops = STOPS[syntax];
  while (i < text.length) {
    const ch = text[i]!;
    if (stops.includes(ch)) break;
    // A JSON escape (`\n`, `\"`) ends the value: it belongs to the surrounding JSON string.
    if (ch === "\\" && i + 1 < text.length && ESCAPE_LETTERS.includes(text[i + 1]!)) break;
    i++;
  }
  return i;
}
const STOPS: Record<ValueSyntax, string> = {
  query: " \t\r\n\"'&;,<>)]}",
  colon: " \t\r\n\"',)]}",
  header: "\r\n\"'",
};
const ESCAPE_LETTERS = 'nrtu"\\';

function isSecretValue(value: string, kind: string, key: string): boolean {
  if (value === "" || PLACEHOLDER.test(value)) return false;
  if (kind !== "password" && SHORT_NUMBER.test(value)) return false; // `max_token: 256`
  // The shell's `PWD=/work/dir` is a path, not a password.
  return !(key.toLowerCase().endsWith("pwd") && (value.startsWith("/") || value.startsWith("~")));
}

/** `value` as a `[REDACTED:<kind>]` marker, or itself when it is no secret. */
function redactValue(value: string, kind: string, key: string): string {
  return isSecretValue(value, kind, key) ? `[REDACTED:${kind}]` : value;
}

/**
 * The whole value of credential `key` redacted; after an auth scheme only the credential
 * (`Bearer x` → `Bearer [REDACTED:bearer]`). A placeholder or masked value is returned as it is.
 */
export function redactCredentialValue(key: string, value: string): string {
  const kind = kindOfKey(key);
  const scheme = kind === "authorization" ? AUTH_SCHEME.exec(value) : null;
  if (!scheme) return redactValue(value, kind, key);
  const credential = value.slice(scheme[0].length);
  const redacted = redactValue(credential, schemeKind(scheme[1]!), key);
  return redacted === credential ? value : scheme[0] + redacted;
}

/** `password: x`, `"api_key":"x"`, `?token=x&`, `Cookie: a=b; c=d`, `Authorization: Bearer x` → value redacted. */
export function redactAssignments(text: string): string {
  return replaceMatches(text, ASSIGNMENT, (match) => {
    const [separator, key = "", keyQuote, valueQuote] = match;
    let kind = kindOfKey(key);
    let start = match.index + separator.length;
    if (keyQuote === undefined && /^:[ \t]/.test(separator)) {
      if (PROSE_KEY.test(key)) return undefined;
      const valueMayBeProse = kind !== "password" && kind !== "authorization" && kind !== "cookie";
      if (valueMayBeProse && PROSE_CONTINUATION.test(text.slice(start, start + 40))) return undefined;
    }
    // `Authorization: Bearer x`: the credential is the one token after the scheme.
    const scheme =
      kind === "authorization" ? AUTH_SCHEME.exec(text.slice(start, start + MAX_SCHEME_LENGTH)) : null;
    if (scheme) {
      start += scheme[0].length;
      kind = schemeKind(scheme[1]!);
    }
    const syntax = kind === "cookie" ? "header" : separator.startsWith(":") ? "colon" : "query";
    const end = valueEnd(text, start, valueQuote, syntax);
    const value = text.slice(start, end);
    const replacement = redactValue(value, kind, key);
    return replacement === value ? undefined : { start, end, replacement };
  });
}

function schemeKind(scheme: string): string {
  const lower = scheme.toLowerCase();
  return lower === "basic" ? "basic_auth" : lower === "bearer" ? "bearer" : "authorization";
}

/** A bare `Bearer <token>` anywhere (logs, prose, curl commands). */
const BEARER = new RegExp(String.raw`${WORD_START}(bearer[ \t]+)([A-Za-z0-9._~+/=-]{8,})`, "gi");
const HAS_DIGIT_OR_SYMBOL = /[0-9._~+/=-]/;
const MIXED_CASE = /[a-z].*[A-Z]|[A-Z].*[a-z].*[A-Z]/;

/** A token, not an English word: "Bearer tokens", "Bearer JWTs" stay. */
function looksLikeToken(value: string): boolean {
  return HAS_DIGIT_OR_SYMBOL.test(value) || (value.length >= 16 && MIXED_CASE.test(value));
}

/** A bare `Basic <base64 of user:password>`; the decoding check keeps "Basic configuration" intact. */
const BASIC = new RegExp(
  String.raw`${WORD_START}(basic[ \t]+)([A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])`,
  "gi",
);
const USER_COLON_PASSWORD = /^[\x20-\x7e]*:[\x20-\x7e]*$/;

/** `scheme://user:password@host`: the password part (group 2) after the user (group 1). */
const URL_USERINFO =
  /:\/\/(?<=(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,20}:\/\/)([^\s:/?#@"'\\]*:)([^\s/?#@"'\\]+)(?=@[^\s@])/g;

/** Bare `Bearer`/`Basic` credentials and URL passwords; the cheap `includes` skips most texts. */
export function redactBareCredentials(text: string): string {
  let out = text;
  if (out.includes("earer") || out.includes("EARER")) {
    out = out.replace(BEARER, (match, scheme: string, token: string) =>
      looksLikeToken(token) ? `${scheme}[REDACTED:bearer]` : match,
    );
  }
  if (out.includes("asic") || out.includes("ASIC")) {
    out = out.replace(BASIC, (match, scheme: string, encoded: string) =>
      USER_COLON_PASSWORD.test(Buffer.from(encoded, "base64").toString("latin1"))
        ? `${scheme}[REDACTED:basic_auth]`
        : match,
    );
  }
  return out.replace(URL_USERINFO, (match, user: string, password: string) =>
    password.startsWith("[REDACTED") ? match : `://${user}[REDACTED:url_credential]`,
  );
}
