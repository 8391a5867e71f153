import { redactHighEntropy } from "./entropy.ts";
import { TOKEN_FORMATS } from "./secret-patterns.ts";

/**
 * One pass over the tokens of a text (runs of base64/base64url characters and dots) that redacts known
 * single-token formats and, in what remains, high-entropy strings. A hand-written scan: a regex for
 * "runs of ≥ 16 token characters" costs 3–5× more on a 4 KB payload, and trying the format alternation
 * at every position of the text 10× more than trying it once per long token.
 */

const TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_.-";
/** Indexed by UTF-16 code unit, so the scan needs no range check. */
const IS_TOKEN_CHAR = new Uint8Array(65536);
for (const char of TOKEN_CHARS) IS_TOKEN_CHAR[char.charCodeAt(0)] = 1;

const BACKSLASH = 92;
const ESCAPE_LETTERS = "nrtbf";

/** No token format is shorter (Stripe's `sk_live_` + 10). */
const MIN_TOKEN_LENGTH = 16;

/**
 * Any format, starting where a sub-token starts (`x.AKIA…`, `key=sk-…`, not the `sk-` inside `task-…`).
 * The format that matched is identified afterwards, on the rare hit.
 */
const ANY_TOKEN_FORMAT = new RegExp(
  `(?<![A-Za-z0-9])(?:${TOKEN_FORMATS.map(({ source }) => `(?:${source})`).join("|")})`,
  "g",
);
const EACH_TOKEN_FORMAT = TOKEN_FORMATS.map(({ kind, source }) => ({
  pattern: new RegExp(source, "y"),
  marker: `[REDACTED:${kind}]`,
}));

function markerAt(token: string, at: number): string {
  for (const { pattern, marker } of EACH_TOKEN_FORMAT) {
    pattern.lastIndex = at;
    if (pattern.test(token)) return marker;
  }
  return "[REDACTED:secret]";
}

function redactToken(token: string): string {
  ANY_TOKEN_FORMAT.lastIndex = 0;
  if (!ANY_TOKEN_FORMAT.test(token)) return redactHighEntropy(token);
  let out = "";
  let copied = 0;
  ANY_TOKEN_FORMAT.lastIndex = 0;
  for (let match = ANY_TOKEN_FORMAT.exec(token); match; match = ANY_TOKEN_FORMAT.exec(token)) {
    out += redactHighEntropy(token.slice(copied, match.index)) + markerAt(token, match.index);
    copied = match.index + match[0].length;
  }
  return out + redactHighEntropy(token.slice(copied));
}

export function redactTokens(text: string): string {
  let out = "";
  let copied = 0;
  let runLength = 0;
  const replaceRunEndingAt = (end: number) => {
    let start = end - runLength;
    // In `…\nghp_…` the token starts after the JSON escape, not at its `n`.
    if (text.charCodeAt(start - 1) === BACKSLASH && ESCAPE_LETTERS.includes(text[start]!)) start++;
    const token = text.slice(start, end);
    const redacted = redactToken(token);
    if (redacted === token) return;
    out += text.slice(copied, start) + redacted;
    copied = end;
  };
  for (let i = 0; i < text.length; i++) {
    if (IS_TOKEN_CHAR[text.charCodeAt(i)] === 1) {
      runLength++;
      continue;
    }
    if (runLength >= MIN_TOKEN_LENGTH) replaceRunEndingAt(i);
    runLength = 0;
  }
  if (runLength >= MIN_TOKEN_LENGTH) replaceRunEndingAt(text.length);
  return copied === 0 ? text : out + text.slice(copied);
}
