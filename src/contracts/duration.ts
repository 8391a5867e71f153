import { z } from "zod";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+)(ms|s|m|h|d)$/;

/** Parses "30s", "5m", "26h"; returns milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** A duration field in a YAML or JSON document, validated and converted to milliseconds. */
export const durationSchema = z
  .string({ error: "expected a duration such as 30s, 5m or 26h" })
  .refine((text) => parseDuration(text) !== undefined, {
    error: "expected a duration such as 30s, 5m or 26h",
  })
  .transform((text) => parseDuration(text) as number);

/** "26h", "1.5h", "5m", "45s": the coarsest unit that keeps the figure readable. */
export function formatAge(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.round((minutes / 60) * 10) / 10;
  return hours < 72 ? `${hours}h` : `${Math.round(hours / 24)}d`;
}
