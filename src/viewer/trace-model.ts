import { SemanticConventions as SC } from "@arizeai/openinference-semantic-conventions";
import type { AnnotationRecord, FeedbackRecord, SpanRecord, TraceStore } from "../store/trace-store.ts";
import {
  annotationsToFindings,
  diagnose,
  diagnosisOf,
  type Diagnosis,
  type Finding,
} from "../diagnosis/index.ts";
import { readTrace, type TraceFacts } from "../trace/facts.ts";
import { isRecord, numeric, parsedJson, text, textList } from "../trace/attribute-values.ts";
import type { Stage } from "../contracts/semconv.ts";

/** A span in tree order, with how deep it sits under the root. */
export interface SpanRow {
  span: SpanRecord;
  depth: number;
}

/** One stored trace, read once into what the detail page shows. */
export interface TraceModel {
  traceId: string;
  root: SpanRecord;
  rows: SpanRow[];
  facts: TraceFacts;
  diagnosis: Diagnosis;
  findingsBySpan: ReadonlyMap<string, Finding[]>;
  annotations: AnnotationRecord[];
  feedback: FeedbackRecord[];
  costUsd: number;
}

/** Each stage span of a trace, by span id: the stages the pipeline ran, recognised as the diagnosis does. */
export function stagesOf(facts: TraceFacts): Map<string, Stage> {
  return new Map<string, Stage>([
    ...facts.routes.map((route) => [route.span.spanId, "route"] as const),
    ...facts.retrievals.map((retrieval) => [retrieval.span.spanId, "retrieve"] as const),
    ...facts.toolCalls.map((call) => [call.span.spanId, "tool"] as const),
    ...facts.syntheses.map((synthesis) => [synthesis.span.spanId, "synthesize"] as const),
  ]);
}

/** Spans depth first, children by start time; a span whose parent is missing starts a tree of its own. */
function treeOrder(spans: readonly SpanRecord[]): SpanRow[] {
  const ids = new Set(spans.map((span) => span.spanId));
  const children = new Map<string | null, SpanRecord[]>();
  for (const span of spans) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : null;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const ordered: SpanRow[] = [];
  const visit = (span: SpanRecord, depth: number) => {
    ordered.push({ span, depth });
    const kids = [...(children.get(span.spanId) ?? [])].sort((a, b) => Number(a.startNs - b.startNs));
    for (const kid of kids) visit(kid, depth + 1);
  };
  const roots = [...(children.get(null) ?? [])].sort((a, b) => Number(a.startNs - b.startNs));
  for (const root of roots) visit(root, 0);
  return ordered;
}

/**
 * The findings of a trace: the stored CODE annotations when the diagnosis has run (they are what
 * the list and the queries were built from), else a fresh diagnosis of the spans.
 */
export function findingsOf(
  annotations: readonly AnnotationRecord[],
  spans: readonly SpanRecord[],
): Diagnosis {
  const stored = annotations.some((annotation) => annotation.annotatorKind === "CODE");
  return stored ? diagnosisOf(annotationsToFindings(annotations, spans)) : diagnose(spans);
}

function llmCost(spans: readonly SpanRecord[]): number {
  return spans.reduce((total, span) => total + (numeric(span.attributes[SC.LLM_COST_TOTAL]) ?? 0), 0);
}

export function readTraceModel(store: TraceStore, traceId: string): TraceModel | undefined {
  const spans = store.spansOf(traceId);
  const root = store.rootOf(traceId);
  if (!root || spans.length === 0) return undefined;
  const facts = readTrace(spans);
  const annotations = store.annotationsOf(traceId);
  const diagnosis = findingsOf(annotations, spans);
  const findingsBySpan = new Map<string, Finding[]>();
  for (const finding of diagnosis.findings) {
    findingsBySpan.set(finding.spanId, [...(findingsBySpan.get(finding.spanId) ?? []), finding]);
  }
  return {
    traceId,
    root,
    rows: treeOrder(spans),
    facts,
    diagnosis,
    findingsBySpan,
    annotations,
    feedback: store.feedbackOf(traceId),
    costUsd: llmCost(spans.filter((span) => span.oiKind === "LLM")),
  };
}

/** The span that holds an evidence id: the TOOL span of `tool:<call_id>`, the retriever of `doc:<id>@<v>`. */
export function evidenceSpan(facts: TraceFacts, evidence: string): SpanRecord | undefined {
  const call = facts.toolCallsByEvidence.get(evidence);
  if (call) return call.span;
  return facts.retrievals.find((retrieval) => retrieval.documents.some((doc) => doc.evidenceId === evidence))
    ?.span;
}

export interface DocumentRow {
  rank: number;
  id: string;
  title: string | undefined;
  version: number | undefined;
  currentVersion: number | undefined;
  score: number | undefined;
}

/** `retrieval.documents.N.document.*`, with the score the diagnosis does not need. */
export function documentsOf(span: SpanRecord): DocumentRow[] {
  const prefix = `${SC.RETRIEVAL_DOCUMENTS}.`;
  const indexes = Object.keys(span.attributes)
    .filter((key) => key.startsWith(prefix) && key.endsWith(`.${SC.DOCUMENT_ID}`))
    .map((key) => Number(key.slice(prefix.length).split(".")[0]))
    .filter(Number.isInteger)
    .sort((a, b) => a - b);
  return indexes.flatMap((index, position) => {
    const field = (name: string) => span.attributes[`${prefix}${index}.${name}`];
    const id = text(field(SC.DOCUMENT_ID));
    if (id === undefined) return [];
    const parsed = parsedJson(field(SC.DOCUMENT_METADATA));
    const metadata = isRecord(parsed) ? parsed : {};
    return [
      {
        rank: numeric(metadata.rank) ?? position + 1,
        id,
        title: text(metadata.title),
        version: numeric(metadata.version),
        currentVersion: numeric(metadata.current_version),
        score: numeric(field(SC.DOCUMENT_SCORE)),
      },
    ];
  });
}

export interface AnswerClaim {
  kind: string;
  statement: string | undefined;
  evidence: string[];
}

export interface AnswerCaveat {
  kind: string;
  text: string | undefined;
  evidence: string[];
}

export interface Answer {
  summary: string | undefined;
  claims: AnswerClaim[];
  caveats: AnswerCaveat[];
}

const records = (value: unknown) => (Array.isArray(value) ? value.filter(isRecord) : []);

const itemsOf = (items: Record<string, unknown>[]) =>
  items.flatMap((item) => {
    const kind = text(item.kind);
    return kind === undefined ? [] : [{ kind, evidence: textList(item.evidence) }];
  });

/** Words for items by kind, matched in order: the n-th call for a kind reads the n-th item of that kind. */
function wordsByKind(items: Record<string, unknown>[], field: string) {
  const seen = new Map<string, number>();
  return (kind: string) => {
    const nth = seen.get(kind) ?? 0;
    seen.set(kind, nth + 1);
    return text(items.filter((item) => item.kind === kind)[nth]?.[field]);
  };
}

/**
 * The structured answer: kinds and evidence from the synthesize span (safe metadata, kept for every
 * trace), the words from the answer JSON (`output.value`) when the trace or the restricted tier has it.
 */
export function answerOf(facts: TraceFacts, answerJson: unknown): Answer {
  const parsed = parsedJson(answerJson);
  const written = isRecord(parsed) ? parsed : {};
  const writtenClaims = records(written.claims);
  const writtenCaveats = records(written.caveats);
  const synthesis = facts.syntheses.at(-1);
  const statement = wordsByKind(writtenClaims, "statement");
  const caveatText = wordsByKind(writtenCaveats, "text");
  return {
    summary: text(written.summary),
    claims: (synthesis?.claims ?? itemsOf(writtenClaims)).map((claim) => ({
      ...claim,
      statement: statement(claim.kind),
    })),
    caveats: (synthesis?.caveats ?? itemsOf(writtenCaveats)).map((caveat) => ({
      ...caveat,
      text: caveatText(caveat.kind),
    })),
  };
}
