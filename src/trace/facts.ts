import {
  OpenInferenceSpanKind,
  SemanticConventions as SC,
} from "@arizeai/openinference-semantic-conventions";
import type { SpanRecord } from "../store/trace-store.ts";
import { ATTR } from "../contracts/semconv.ts";
import {
  documentEvidenceId,
  TOOL_OUTCOMES,
  toolEvidenceId,
  type ToolOutcome,
} from "../contracts/vocabulary.ts";
import { flag, isRecord, numeric, parsedJson, text, textList } from "./attribute-values.ts";

/**
 * The stages of one trace, read out of its spans once: what the checks and the viewer need, typed.
 * Stages are recognised by OpenInference span kind and the attributes they carry, never by span
 * name. `Recorded*` types hold what the trace recorded, which is less than the agent's own values.
 */
export interface TraceFacts {
  routes: RecordedRoute[];
  retrievals: Retrieval[];
  toolCalls: ToolCall[];
  syntheses: RecordedSynthesis[];
  /** Tool calls by evidence id (`tool:<call_id>`). */
  toolCallsByEvidence: ReadonlyMap<string, ToolCall>;
  /** Evidence ids of the retrieved documents (`doc:<id>@<version>`). */
  documentEvidence: ReadonlySet<string>;
}

export interface RecordedRoute {
  span: SpanRecord;
  route: string | undefined;
  severity: string | undefined;
  category: string | undefined;
  model: string | undefined;
  policy: string | undefined;
}

export interface Retrieval {
  span: SpanRecord;
  snapshotId: string | undefined;
  asOf: string | undefined;
  documents: RecordedDocument[];
}

export interface RecordedDocument {
  id: string;
  /** Undefined when the retriever did not record it: the document can then be shown, not cited or dated. */
  version: number | undefined;
  /** The version in effect today. */
  currentVersion: number | undefined;
  kind: string | undefined;
  title: string | undefined;
  rank: number;
  /** The retriever's relevance score, when it recorded one. */
  score: number | undefined;
  /** `doc:<id>@<version>`; undefined without a version. */
  evidenceId: string | undefined;
}

export interface ToolCall {
  span: SpanRecord;
  tool: string;
  /** Undefined when the span carries no call id: the answer cannot cite it. */
  evidenceId: string | undefined;
  outcome: ToolOutcome | undefined;
  httpStatus: number | undefined;
  errorType: string | undefined;
  retries: number | undefined;
  asOf: string | undefined;
  ageS: number | undefined;
  freshnessBudgetS: number | undefined;
  missingFields: string[];
  /** The `tool.result.*` attributes without their prefix, e.g. `device.encrypted`. */
  facts: Record<string, unknown>;
}

/** A claim or caveat of the answer: its kind and the evidence ids it cites. */
export interface AnswerItem {
  kind: string;
  evidence: string[];
}

export interface RecordedSynthesis {
  span: SpanRecord;
  claims: AnswerItem[];
  caveats: AnswerItem[];
  citations: string[];
  /** False only when the trace says the model's output did not match the answer schema. */
  structured: boolean;
  /** Whether the span recorded an answer at all (its claims, even an empty list). */
  answered: boolean;
}

export function readTrace(spans: readonly SpanRecord[]): TraceFacts {
  const ordered = [...spans].sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
  const retrievals = ordered
    .filter((span) => span.oiKind === OpenInferenceSpanKind.RETRIEVER)
    .map(readRetrieval);
  const toolCalls = ordered.filter((span) => span.oiKind === OpenInferenceSpanKind.TOOL).map(readToolCall);
  return {
    routes: ordered.filter(isRouteSpan).map(readRoute),
    retrievals,
    toolCalls,
    syntheses: ordered.filter(isSynthesisSpan).map(readSynthesis),
    toolCallsByEvidence: new Map(
      toolCalls.flatMap((call) => (call.evidenceId ? [[call.evidenceId, call] as const] : [])),
    ),
    documentEvidence: new Set(
      retrievals.flatMap((retrieval) => retrieval.documents.flatMap((doc) => doc.evidenceId ?? [])),
    ),
  };
}

// The root span repeats the route as a summary; the route stage itself is a CHAIN span.
const isRouteSpan = (span: SpanRecord) =>
  span.oiKind === OpenInferenceSpanKind.CHAIN && text(span.attributes[ATTR.routeName]) !== undefined;

const isSynthesisSpan = (span: SpanRecord) =>
  span.attributes[ATTR.answerClaims] !== undefined || span.attributes[ATTR.answerStructured] !== undefined;

function readRoute(span: SpanRecord): RecordedRoute {
  const { attributes } = span;
  return {
    span,
    route: text(attributes[ATTR.routeName]),
    severity: text(attributes[ATTR.severity]),
    category: text(attributes[ATTR.category]),
    model: text(attributes[ATTR.routeModel]),
    policy: text(attributes[ATTR.routePolicy]),
  };
}

function readRetrieval(span: SpanRecord): Retrieval {
  return {
    span,
    snapshotId: text(span.attributes[ATTR.indexSnapshotId]),
    asOf: text(span.attributes[ATTR.indexAsOf]),
    documents: documentIndexes(span.attributes).flatMap((index, position) =>
      readDocument(span.attributes, index, position + 1),
    ),
  };
}

const documentAttribute = (index: number, field: string) => `${SC.RETRIEVAL_DOCUMENTS}.${index}.${field}`;

/** The N of every `retrieval.documents.N.document.id`, in order. */
function documentIndexes(attributes: Record<string, unknown>): number[] {
  const prefix = `${SC.RETRIEVAL_DOCUMENTS}.`;
  const suffix = `.${SC.DOCUMENT_ID}`;
  return Object.keys(attributes)
    .filter((key) => key.startsWith(prefix) && key.endsWith(suffix))
    .map((key) => Number(key.slice(prefix.length, -suffix.length)))
    .filter(Number.isInteger)
    .sort((a, b) => a - b);
}

/** A document without an id is left out. */
function readDocument(
  attributes: Record<string, unknown>,
  index: number,
  position: number,
): RecordedDocument[] {
  const id = text(attributes[documentAttribute(index, SC.DOCUMENT_ID)]);
  const parsed = parsedJson(attributes[documentAttribute(index, SC.DOCUMENT_METADATA)]);
  const metadata = isRecord(parsed) ? parsed : {};
  const version = numeric(metadata.version);
  if (id === undefined) return [];
  return [
    {
      id,
      version,
      currentVersion: numeric(metadata.current_version),
      kind: text(metadata.kind),
      title: text(metadata.title),
      rank: numeric(metadata.rank) ?? position,
      score: numeric(attributes[documentAttribute(index, SC.DOCUMENT_SCORE)]),
      evidenceId: version === undefined ? undefined : documentEvidenceId({ id, version }),
    },
  ];
}

function readToolCall(span: SpanRecord): ToolCall {
  const { attributes } = span;
  const callId = text(attributes[SC.TOOL_ID]);
  const outcome = text(attributes[ATTR.toolOutcome]);
  return {
    span,
    tool: text(attributes[SC.TOOL_NAME]) ?? "unnamed tool",
    evidenceId: callId && toolEvidenceId({ callId }),
    // Without an outcome attribute, an ERROR status still says the call failed.
    outcome:
      outcome !== undefined && (TOOL_OUTCOMES as readonly string[]).includes(outcome)
        ? (outcome as ToolOutcome)
        : span.statusCode === "ERROR"
          ? "error"
          : undefined,
    httpStatus: numeric(attributes[ATTR.toolHttpStatus]),
    errorType: text(attributes[ATTR.errorType]),
    retries: numeric(attributes[ATTR.toolRetries]),
    asOf: text(attributes[ATTR.toolResultAsOf]),
    ageS: numeric(attributes[ATTR.toolResultAgeS]),
    freshnessBudgetS: numeric(attributes[ATTR.toolFreshnessBudgetS]),
    missingFields: textList(attributes[ATTR.toolMissingFields]),
    facts: Object.fromEntries(
      Object.entries(attributes)
        .filter(([key]) => key.startsWith(ATTR.toolResultFact))
        .map(([key, value]) => [key.slice(ATTR.toolResultFact.length), value]),
    ),
  };
}

function readSynthesis(span: SpanRecord): RecordedSynthesis {
  const { attributes } = span;
  return {
    span,
    claims: answerItems(attributes[ATTR.answerClaims]),
    caveats: answerItems(attributes[ATTR.answerCaveats]),
    citations: textList(attributes[ATTR.answerCitations]),
    structured: flag(attributes[ATTR.answerStructured]) !== false,
    answered: Array.isArray(parsedJson(attributes[ATTR.answerClaims])),
  };
}

/** `[{kind, evidence}]` from its JSON attribute (or the parsed list); entries without a kind are dropped. */
export function answerItems(value: unknown): AnswerItem[] {
  const items = parsedJson(value);
  if (!Array.isArray(items)) return [];
  return items.flatMap((item) => {
    const kind = isRecord(item) ? text(item.kind) : undefined;
    return isRecord(item) && kind !== undefined ? [{ kind, evidence: textList(item.evidence) }] : [];
  });
}
