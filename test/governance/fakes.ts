/**
 * Fake credentials built at run time from a seeded generator: tests get fresh values of each family
 * (never the canaries' values) and the source holds nothing that looks like a real secret.
 */

export const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
export const LOWER = "abcdefghijklmnopqrstuvwxyz";
export const DIGITS = "0123456789";
export const HEX = "0123456789abcdef";
export const BASE62 = UPPER + LOWER + DIGITS;
export const BASE64 = BASE62 + "+/";
export const BASE64URL = BASE62 + "-_";

/** Deterministic (mulberry32), so a failure names the same value on every run. */
export function fakeGenerator(seed: number) {
  let state = seed;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  /** `length` characters of `alphabet`, with at least one upper case, lower case and digit if it has them. */
  return function fake(alphabet: string, length: number): string {
    for (;;) {
      let text = "";
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)];
      const needs = [UPPER, LOWER, DIGITS].filter((set) => [...alphabet].some((c) => set.includes(c)));
      if (needs.every((set) => [...text].some((c) => set.includes(c)))) return text;
    }
  };
}

export function base64url(text: string): string {
  return Buffer.from(text).toString("base64url");
}
