import { readFileSync } from "node:fs";

/** A fake secret or piece of personal data from test/fixtures/canaries.json: inject `value`, search for `needle`. */
export interface Canary {
  kind: "secret" | "pii";
  label: string;
  value: string;
  needle: string;
}

export const CANARIES: readonly Canary[] = (
  JSON.parse(readFileSync(new URL("../fixtures/canaries.json", import.meta.url), "utf8")) as {
    canaries: Canary[];
  }
).canaries;
