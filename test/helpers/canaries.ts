import { readFileSync } from "node:fs";
import type { SpanRecord } from "../../src/store/trace-store.ts";
import { span } from "./trace-builder.ts";

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

/**
 * One span per canary, each carrying it in six places a sender controls: name, status message,
 * attributes (free text, a URL, a user id), event and link attributes nested in arrays and maps,
 * the resource and the instrumentation scope. Governance must keep every one out of the store.
 */
export function canarySpans(traceId: string): SpanRecord[] {
  return CANARIES.map((canary, index) => ({
    ...span(`lookup ${canary.value}`, null, {
      "input.value": `password: hunter2 ${canary.value}`,
      "url.full": `https://mdm.example.com/v1/devices?q=${encodeURIComponent(canary.value)}`,
      "user.id": canary.value,
    }),
    traceId,
    spanId: (index + 1).toString(16).padStart(16, "0"),
    parentSpanId: index === 0 ? null : "0000000000000001",
    service: "external-agent",
    startNs: 1_700_000_000_000_000_000n + BigInt(index),
    endNs: 1_700_000_000_500_000_000n + BigInt(index),
    statusCode: "ERROR",
    statusMessage: `failed for ${canary.value}`,
    events: [
      {
        name: "exception",
        timeNs: "1",
        attributes: { "exception.message": canary.value, "exception.details": { nested: [[canary.value]] } },
      },
    ],
    links: [{ traceId, spanId: "00000000000000aa", attributes: { reason: { why: canary.value } } }],
    resource: {
      "service.name": "external-agent",
      "host.name": canary.value,
      labels: { owner: canary.value },
    },
    scope: { name: `scope ${canary.value}`, version: canary.value },
  }));
}

/**
 * The canaries found in `text`. A bare name in free text is the exception: with no directory of
 * names, governance cannot tell it from prose.
 */
export const leakedCanaries = (text: string): string[] =>
  CANARIES.filter(({ label, needle }) => label !== "employee_name" && text.includes(needle))
    .map(({ label }) => label)
    .concat(text.includes("hunter2") ? ["password"] : []);
