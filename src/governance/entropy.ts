/**
 * High-entropy fallback for secrets of formats nobody listed: a run of ≥ 20 base64/base64url characters
 * that mixes upper case, lower case and digits, has a Shannon entropy close to that of a random string of
 * its length, and is not made of words.
 *
 * Why these rules (measured on 20k random tokens per length and on 508 mixed-class identifiers, paths and
 * URLs from node_modules docs and typings):
 * - Upper + lower + digit: every id this project mints is single-case hex or decimal (trace/span ids,
 *   UUIDs, `call_…`, `chatcmpl-…`, `idx-…`, `LT-4821`, timestamps), so none can qualify, while a random
 *   base62/base64 token of 20 chars lacks a class with probability < 0.01%.
 * - Entropy ≥ min(4.3, log2(length) − 1) bits/char: a random string's entropy grows with its length (median
 *   4.0 at 20 chars, 4.8 at 40), so one fixed threshold is either too strict for short tokens or too lax for
 *   long ones.
 * - Word cover < 65%: camelCase identifiers and paths (`UserProfileService2Impl`) are mostly words of ≥ 3
 *   letters; random tokens are not. In paths and `-`/`_` compounds of words only the stretches between
 *   the words are judged, so `/Users/Alice/Projects2024/…` survives but a token inside a URL path does not.
 * Result: 2.5–3.3% of random 20-char tokens missed, < 1% from 32 chars, ~0.05% at 64; the identifiers that
 * still match are digit-bearing camelCase names (`CipherChaCha20Poly1305`), rare in span attributes.
 */

const MIN_LENGTH = 20;
const MAX_WORD_COVER = 0.65;
const WORD = /[A-Z]?[a-z]{3,}|[A-Z]{3,}(?![a-z])|[0-9]{3,}/g;
const WORD_SEGMENT = /^[A-Z]?[a-z]{3,}$/;
const SEPARATORS = /[/_-]+/;
const SEPARATOR_CAPTURE = /([/_-]+)/;
const REDACTED = "[REDACTED:high_entropy]";
const counts = new Uint16Array(128);

/** Whether `run` (base64/base64url characters, `=` only as padding) as a whole looks like a random secret. */
function looksRandom(run: string): boolean {
  let length = run.length;
  while (length > 0 && run.charCodeAt(length - 1) === 61 /* = padding */) length--;
  if (length < MIN_LENGTH) return false;
  let upper = false;
  let lower = false;
  let digit = false;
  counts.fill(0);
  for (let i = 0; i < length; i++) {
    const code = run.charCodeAt(i);
    counts[code]!++;
    if (code >= 65 && code <= 90) upper = true;
    else if (code >= 97 && code <= 122) lower = true;
    else if (code >= 48 && code <= 57) digit = true;
  }
  if (!(upper && lower && digit)) return false;
  let entropy = 0;
  for (const count of counts) {
    if (count === 0) continue;
    const p = count / length;
    entropy -= p * Math.log2(p);
  }
  if (entropy < Math.min(4.3, Math.log2(length) - 1)) return false;
  return wordCover(run.slice(0, length)) < MAX_WORD_COVER;
}

/** Upper case, lower case and digit: the first test, cheap and decisive for most tokens. */
function hasAllClasses(text: string): boolean {
  return UPPER.test(text) && LOWER.test(text) && DIGIT.test(text);
}
const UPPER = /[A-Z]/;
const LOWER = /[a-z]/;
const DIGIT = /[0-9]/;

function wordCover(text: string): number {
  let covered = 0;
  for (const match of text.matchAll(WORD)) covered += match[0].length;
  return covered / text.length;
}

/** Two or more word segments (`generator-function/commit/…`), or words covering a third of the run. */
function isCompoundOfWords(run: string): boolean {
  let words = 0;
  let wordLength = 0;
  for (const segment of run.split(SEPARATORS)) {
    if (WORD_SEGMENT.test(segment)) {
      words++;
      wordLength += segment.length;
    }
  }
  return words >= 2 || wordLength * 3 >= run.length;
}

/** Dots and inner `=` (`name=value`) separate candidates; trailing `=` is base64 padding. */
const PART_SEPARATOR = /(\.+|=+(?=[^=.]))/;

/** `token` (a run of `[A-Za-z0-9+/=_.-]`) with its random-looking parts redacted. */
export function redactHighEntropy(token: string): string {
  if (token.length < MIN_LENGTH || !hasAllClasses(token)) return token;
  const parts = token.split(PART_SEPARATOR); // part, separator, part, …
  let changed = false;
  for (let i = 0; i < parts.length; i += 2) {
    const part = parts[i]!;
    if (part.length < MIN_LENGTH) continue;
    const redacted = redactRandomRun(part);
    if (redacted !== part) {
      parts[i] = redacted;
      changed = true;
    }
  }
  return changed ? parts.join("") : token;
}

/** One part of a token: itself, or with its random stretches redacted. */
function redactRandomRun(run: string): string {
  if (SEPARATORS.test(run) && isCompoundOfWords(run)) return redactBetweenWords(run);
  return looksRandom(run) ? REDACTED : run;
}

/**
 * In a compound of words (`api-token-<random>`, `docs/d/<random>/edit`), the stretches between word
 * segments are judged on their own.
 */
function redactBetweenWords(run: string): string {
  const parts = run.split(SEPARATOR_CAPTURE); // segment, separator, segment, …
  const judge = (stretch: string) =>
    stretch.length >= MIN_LENGTH && looksRandom(stretch) ? REDACTED : stretch;
  let out = "";
  let stretch = "";
  for (let i = 0; i < parts.length; i += 2) {
    const separator = i > 0 ? parts[i - 1]! : "";
    const segment = parts[i]!;
    if (WORD_SEGMENT.test(segment)) {
      out += judge(stretch) + separator + segment;
      stretch = "";
    } else if (stretch) {
      stretch += separator + segment;
    } else {
      out += separator;
      stretch = segment;
    }
  }
  out += judge(stretch);
  return out;
}
