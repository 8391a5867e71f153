import { createHash } from "node:crypto";

/** JSON with object keys sorted at every level, so equal requests hash equally whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The completion and tool-call ids of a request body: the same request always gets the same ids. */
export function idsFor(body: unknown): { completionId: string; toolCallId: string } {
  const hex = createHash("sha256").update(canonicalJson(body)).digest("hex");
  return { completionId: `chatcmpl-${hex.slice(0, 24)}`, toolCallId: `call_${hex.slice(24, 48)}` };
}
