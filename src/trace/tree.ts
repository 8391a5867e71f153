import pc from "picocolors";
import { SemanticConventions as SC } from "@arizeai/openinference-semantic-conventions";
import type { SpanRecord } from "../store/trace-store.ts";
import { ATTR } from "../contracts/semconv.ts";

/** The attributes worth a glance in a terminal, in the order they are shown. */
const KEY_ATTRIBUTES: readonly [label: string, key: string][] = [
  ["category", ATTR.category],
  ["severity", ATTR.severity],
  ["route", ATTR.routeName],
  ["model", ATTR.routeModel],
  ["index", ATTR.indexSnapshotId],
  ["template", SC.PROMPT_TEMPLATE_VERSION],
  ["tokens", SC.LLM_TOKEN_COUNT_TOTAL],
  ["cost_usd", SC.LLM_COST_TOTAL],
  ["outcome", ATTR.toolOutcome],
  ["http", ATTR.toolHttpStatus],
  ["retries", ATTR.toolRetries],
  ["error", ATTR.errorType],
  ["as_of", ATTR.toolResultAsOf],
  ["age_s", ATTR.toolResultAgeS],
  ["status", "http.response.status_code"],
  ["feedback", ATTR.feedbackOutcome],
];

function describe(span: SpanRecord): string {
  const duration = `${(Number(span.endNs - span.startNs) / 1e6).toFixed(1)}ms`;
  const kind = span.oiKind ?? span.spanKind;
  // UNSET is most spans' status and says nothing: only a set status is shown.
  const status = { ERROR: pc.red("ERROR "), OK: pc.green("OK "), UNSET: "" }[span.statusCode] ?? "";
  const details = KEY_ATTRIBUTES.flatMap(([label, key]) => {
    const value = span.attributes[key];
    if (value === undefined || value === null || value === "") return [];
    const shown = typeof value === "number" && label === "cost_usd" ? value.toFixed(6) : String(value);
    return [`${label}=${shown}`];
  });
  return `${pc.bold(span.name)} ${pc.cyan(kind)} ${pc.dim(span.service)} ${duration} ${status}${pc.dim(details.join(" "))}`.trimEnd();
}

/**
 * Each span's children by start time, under its parent's span id; spans whose parent is not in the
 * trace are roots, under `null`.
 */
function childrenOf(spans: readonly SpanRecord[]): Map<string | null, SpanRecord[]> {
  const ids = new Set(spans.map((span) => span.spanId));
  const children = new Map<string | null, SpanRecord[]>();
  const byStart = [...spans].sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
  for (const span of byStart) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : null;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  return children;
}

/** A span in tree order, with how deep it sits under its root. */
export interface TreeRow {
  span: SpanRecord;
  depth: number;
}

/** The spans depth first, children by start time. */
export function treeOrder(spans: readonly SpanRecord[]): TreeRow[] {
  const children = childrenOf(spans);
  const rows: TreeRow[] = [];
  const visit = (span: SpanRecord, depth: number) => {
    rows.push({ span, depth });
    for (const child of children.get(span.spanId) ?? []) visit(child, depth + 1);
  };
  for (const root of children.get(null) ?? []) visit(root, 0);
  return rows;
}

/** The span tree as terminal lines. `marks` adds notes to spans (findings), by span id. */
export function renderTree(spans: readonly SpanRecord[], marks = new Map<string, string[]>()): string[] {
  const children = childrenOf(spans);
  const lines: string[] = [];
  const walk = (span: SpanRecord, prefix: string, connector: string) => {
    lines.push(`${prefix}${connector}${describe(span)}`);
    const childPrefix = prefix + (connector === "├─ " ? "│  " : connector === "└─ " ? "   " : "");
    for (const note of marks.get(span.spanId) ?? []) lines.push(`${childPrefix}   ${pc.yellow(`▲ ${note}`)}`);
    const kids = children.get(span.spanId) ?? [];
    kids.forEach((kid, index) => walk(kid, childPrefix, index === kids.length - 1 ? "└─ " : "├─ "));
  };
  for (const root of children.get(null) ?? []) walk(root, "", "");
  return lines;
}
