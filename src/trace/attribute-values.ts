/**
 * Typed reads of span attribute values. A trace may come from another SDK or over OTLP, so each
 * read accepts the value's usual encodings and yields undefined for anything else, never throws.
 */

export const text = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;

export const flag = (value: unknown): boolean | undefined => (typeof value === "boolean" ? value : undefined);

/** A number, also from a bigint or a numeric string (OTLP/JSON sends int64 values as strings). */
export function numeric(value: unknown): number | undefined {
  if (typeof value === "bigint") return Number(value);
  const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof number === "number" && Number.isFinite(number) ? number : undefined;
}

/** A JSON document stored as a string attribute; an already-parsed value passes through. */
export function parsedJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

/** A string array, stored as an array attribute or as a JSON string; non-strings are dropped. */
export function textList(value: unknown): string[] {
  const list = parsedJson(value);
  return Array.isArray(list) ? list.filter((item): item is string => typeof item === "string") : [];
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
