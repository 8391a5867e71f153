import { SemanticConventions as SC } from "@arizeai/openinference-semantic-conventions";
import type { Diagnosis } from "../diagnosis/index.ts";
import { readTrace } from "../diagnosis/trace-facts.ts";
import { ATTR } from "../semconv.ts";
import type { SpanRecord } from "./trace-store.ts";

/** One row per trace: what the listing filters and the named queries read, so they never scan spans. */
export interface TraceSummary {
  traceId: string;
  rootSpanId: string;
  rootName: string;
  startNs: bigint;
  durationMs: number;
  /** ERROR when a pipeline stage (an OpenInference span) failed; a retried HTTP attempt is not a failure. */
  status: "OK" | "ERROR";
  sessionId: string | null;
  userId: string | null;
  category: string | null;
  severity: string | null;
  route: string | null;
  model: string | null;
  routingPolicy: string | null;
  promptVersion: string | null;
  tokens: number;
  costUsd: number;
  verdict: Diagnosis["verdict"];
  firstBadStage: Diagnosis["firstBadStage"];
  findings: { kind: string; stage: string; tool: string | null; claim: string | null }[];
  documents: {
    docId: string;
    version: number;
    currentVersion: number | null;
    kind: string | null;
    rank: number;
    cited: boolean;
  }[];
  feedbackOutcome: string | null;
}

const textOf = (span: SpanRecord, key: string) => {
  const value = span.attributes[key];
  return typeof value === "string" ? value : null;
};

const numberOf = (span: SpanRecord, key: string) => {
  const value = span.attributes[key];
  return typeof value === "number" ? value : 0;
};

/** Tokens and USD over the trace's LLM spans. */
export function modelUsage(spans: readonly SpanRecord[]): { tokens: number; costUsd: number } {
  const llmSpans = spans.filter((span) => span.oiKind === "LLM");
  return {
    tokens: llmSpans.reduce((total, span) => total + numberOf(span, SC.LLM_TOKEN_COUNT_TOTAL), 0),
    costUsd: llmSpans.reduce((total, span) => total + numberOf(span, SC.LLM_COST_TOTAL), 0),
  };
}

/** ERROR when a pipeline stage (an OpenInference span) failed; a retried HTTP attempt is not a failure. */
export const traceStatus = (spans: readonly SpanRecord[]): "OK" | "ERROR" =>
  spans.some((span) => span.oiKind && span.statusCode === "ERROR") ? "ERROR" : "OK";

/** What the root span says about the request, for the summary row and the trace view alike. */
export function requestFacts(root: SpanRecord) {
  return {
    sessionId: textOf(root, SC.SESSION_ID),
    userId: textOf(root, SC.USER_ID),
    category: textOf(root, ATTR.category),
    severity: textOf(root, ATTR.severity),
    route: textOf(root, ATTR.routeName),
    model: textOf(root, ATTR.routeModel),
    routingPolicy: textOf(root, ATTR.routingPolicy),
    promptVersion: textOf(root, ATTR.synthesizerPromptVersion),
  };
}

/** The earliest span whose parent is not in the trace. */
export function rootOf(spans: readonly SpanRecord[]): SpanRecord | undefined {
  const ids = new Set(spans.map((span) => span.spanId));
  return spans
    .filter((span) => !span.parentSpanId || !ids.has(span.parentSpanId))
    .sort((a, b) => (a.startNs < b.startNs ? -1 : 1))[0];
}

export function summarize(
  traceId: string,
  spans: readonly SpanRecord[],
  diagnosis: Diagnosis,
  feedbackOutcome: string | null,
): TraceSummary | undefined {
  const root = rootOf(spans);
  if (!root) return undefined;
  const facts = readTrace(spans);
  const citations = new Set(facts.syntheses.flatMap((synthesis) => synthesis.citations));
  return {
    traceId,
    rootSpanId: root.spanId,
    rootName: root.name,
    startNs: root.startNs,
    durationMs: Number(root.endNs - root.startNs) / 1e6,
    status: traceStatus(spans),
    ...requestFacts(root),
    ...modelUsage(spans),
    verdict: diagnosis.verdict,
    firstBadStage: diagnosis.firstBadStage,
    findings: diagnosis.findings.map((finding) => ({
      kind: finding.kind,
      stage: finding.stage,
      tool: finding.tool ?? null,
      claim: finding.claim ?? null,
    })),
    documents: facts.retrievals.flatMap((retrieval) =>
      retrieval.documents.map((doc) => ({
        docId: doc.id,
        version: doc.version,
        currentVersion: doc.currentVersion ?? null,
        kind: doc.kind ?? null,
        rank: doc.rank,
        cited: citations.has(doc.evidenceId),
      })),
    ),
    feedbackOutcome,
  };
}
