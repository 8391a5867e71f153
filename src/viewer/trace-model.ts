import type { AnnotationRecord, FeedbackRecord, SpanRecord, TraceStore } from "../store/trace-store.ts";
import {
  annotationsToFindings,
  diagnose,
  diagnosisOf,
  type Diagnosis,
  type Finding,
} from "../diagnosis/index.ts";
import { answerItems, readTrace, type TraceFacts } from "../trace/facts.ts";
import { isRecord, parsedJson, text } from "../trace/attribute-values.ts";
import { modelUsage, rootOf } from "../trace/request.ts";
import { treeOrder, type TreeRow } from "../trace/tree.ts";
import type { Stage } from "../contracts/semconv.ts";

/** One stored trace, read once into what the detail page shows. */
export interface TraceModel {
  traceId: string;
  root: SpanRecord;
  rows: TreeRow[];
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

export async function readTraceModel(store: TraceStore, traceId: string): Promise<TraceModel | undefined> {
  const [spans, annotations, feedback] = await Promise.all([
    store.spansOf(traceId),
    store.annotationsOf(traceId),
    store.feedbackOf(traceId),
  ]);
  const root = rootOf(spans);
  if (!root) return undefined;
  const facts = readTrace(spans);
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
    feedback,
    costUsd: modelUsage(spans).costUsd,
  };
}

/** The span that holds an evidence id: the TOOL span of `tool:<call_id>`, the retriever of `doc:<id>@<v>`. */
export function evidenceSpan(facts: TraceFacts, evidence: string): SpanRecord | undefined {
  const call = facts.toolCallsByEvidence.get(evidence);
  if (call) return call.span;
  return facts.retrievals.find((retrieval) => retrieval.documents.some((doc) => doc.evidenceId === evidence))
    ?.span;
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

export interface AnswerView {
  summary: string | undefined;
  claims: AnswerClaim[];
  caveats: AnswerCaveat[];
}

const records = (value: unknown) => (Array.isArray(value) ? value.filter(isRecord) : []);

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
export function answerOf(facts: TraceFacts, answerJson: unknown): AnswerView {
  const parsed = parsedJson(answerJson);
  const written = isRecord(parsed) ? parsed : {};
  const writtenClaims = records(written.claims);
  const writtenCaveats = records(written.caveats);
  const synthesis = facts.syntheses.at(-1);
  const statement = wordsByKind(writtenClaims, "statement");
  const caveatText = wordsByKind(writtenCaveats, "text");
  return {
    summary: text(written.summary),
    claims: (synthesis?.claims ?? answerItems(written.claims)).map((claim) => ({
      ...claim,
      statement: statement(claim.kind),
    })),
    caveats: (synthesis?.caveats ?? answerItems(written.caveats)).map((caveat) => ({
      ...caveat,
      text: caveatText(caveat.kind),
    })),
  };
}
