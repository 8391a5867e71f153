import { html, type SafeHtml } from "./html.ts";

const ATTRIBUTE_GROUPS = ["OpenInference", "OpenTelemetry GenAI", "Incident and tool", "Other"] as const;
export type AttributeGroup = (typeof ATTRIBUTE_GROUPS)[number];

const OPENINFERENCE_PREFIXES = [
  "input.",
  "output.",
  "llm.",
  "retrieval.",
  "openinference.",
  "embedding.",
  "reranker.",
];
const OPENINFERENCE_KEYS = [
  "session.id",
  "user.id",
  "metadata",
  "tag.tags",
  "tool.name",
  "tool.description",
  "tool.parameters",
];
const INCIDENT_PREFIXES = ["incident.", "route.", "tool.", "http.", "url.", "feedback."];

/** Which convention an attribute belongs to: OpenInference, OTel GenAI, or this project's own. */
function groupOf(key: string): AttributeGroup {
  if (OPENINFERENCE_KEYS.includes(key) || OPENINFERENCE_PREFIXES.some((prefix) => key.startsWith(prefix))) {
    return "OpenInference";
  }
  if (key.startsWith("gen_ai.")) return "OpenTelemetry GenAI";
  if (key === "error.type" || INCIDENT_PREFIXES.some((prefix) => key.startsWith(prefix))) {
    return "Incident and tool";
  }
  return "Other";
}

/** JSON documents stored as strings are shown indented; everything else as written. */
function readable(value: unknown): string {
  if (typeof value === "string") {
    const trimmed = value.trim();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      try {
        return JSON.stringify(JSON.parse(trimmed), null, 2);
      } catch {
        return value;
      }
    }
    return value;
  }
  return JSON.stringify(value) ?? String(value);
}

const PREVIEW_CHARS = 120;

/** Long dotted keys wrap at their dots, not mid-word. */
const breakable = (key: string) =>
  key.split(".").map((part, index) => html`${index > 0 && html`.<wbr />`}${part}`);

/** Short values inline; prompts and bodies folded behind their first line, open on request. */
export function attributeValue(value: unknown): SafeHtml {
  const written = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  if (written.length <= PREVIEW_CHARS && !written.includes("\n"))
    return html`<code class="value">${written}</code>`;
  const shown = readable(value);
  const preview = shown.replace(/\s+/g, " ").slice(0, PREVIEW_CHARS);
  return html`<details class="long-value">
    <summary>
      <code>${preview}…</code> <span class="hint">(${shown.length.toLocaleString("en-US")} characters)</span>
    </summary>
    <pre>${shown}</pre>
  </details>`;
}

export function attributeTable(entries: [string, unknown][], caption: string): SafeHtml {
  return html`<table class="attributes">
    <caption>
      ${caption}
    </caption>
    <tbody>
      ${entries.map(
        ([key, value]) =>
          html`<tr>
            <th scope="row"><code>${breakable(key)}</code></th>
            <td>${attributeValue(value)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** A span's attributes, grouped by convention, keys sorted within a group. */
export function groupedAttributes(attributes: Record<string, unknown>): SafeHtml {
  const entries = Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b));
  return html`${ATTRIBUTE_GROUPS.map((group) => {
    const inGroup = entries.filter(([key]) => groupOf(key) === group);
    return inGroup.length > 0 && attributeTable(inGroup, group);
  })}`;
}
