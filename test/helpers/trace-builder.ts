import {
  OpenInferenceSpanKind,
  SemanticConventions as SC,
} from "@arizeai/openinference-semantic-conventions";
import type { SpanRecord, TraceStore } from "../../src/store/trace-store.ts";
import { ATTR } from "../../src/contracts/semconv.ts";

/**
 * Hand-built traces for the diagnosis tests: the stage spans the assistant writes, with the
 * attributes the checks read. `healthyTrace()` is the healthy run (strong route, current policy,
 * fresh MDM record, successful revocation, a fully cited answer); each part can be overridden.
 */

export interface RouteParts {
  name: string;
  severity: string;
  category: string;
  model: string;
  policy: string;
}

export interface DocParts {
  id: string;
  version: number;
  currentVersion: number;
  kind: "policy" | "runbook";
  rank: number;
  title: string;
}

export interface ToolParts {
  name: string;
  callId: string;
  outcome: "success" | "partial" | "error";
  httpStatus?: number;
  errorType?: string;
  retries: number;
  asOf?: string;
  ageS?: number;
  freshnessBudgetS?: number;
  missingFields: string[];
  /** `tool.result.*` attributes without the prefix, e.g. `{"device.encrypted": true}`. */
  facts: Record<string, string | number | boolean>;
}

export interface AnswerItem {
  kind: string;
  evidence: string[];
}

export interface AnswerParts {
  claims: AnswerItem[];
  caveats: AnswerItem[];
  citations: string[];
  structured: boolean;
}

export const MDM_EVIDENCE = "tool:call_mdm";
export const REVOKE_EVIDENCE = "tool:call_revoke";
export const POLICY_EVIDENCE = "doc:device-policy@2";
export const RUNBOOK_EVIDENCE = "doc:stolen-device@2";

const HEALTHY_ROUTE: RouteParts = {
  name: "strong",
  severity: "high",
  category: "lost_or_stolen_device",
  model: "sim-large",
  policy: "cost-saver",
};

const HEALTHY_DOCS: DocParts[] = [
  {
    id: "device-policy",
    version: 2,
    currentVersion: 2,
    kind: "policy",
    rank: 1,
    title: "Lost or stolen device policy",
  },
  {
    id: "stolen-device",
    version: 2,
    currentVersion: 2,
    kind: "runbook",
    rank: 2,
    title: "Lost or stolen device",
  },
];

const HEALTHY_MDM: ToolParts = {
  name: "mdm_lookup_device",
  callId: "call_mdm",
  outcome: "success",
  httpStatus: 200,
  retries: 0,
  asOf: "2026-11-27T17:06:56.621Z",
  ageS: 300,
  freshnessBudgetS: 3600,
  missingFields: [],
  facts: {
    "device.encrypted": true,
    "device.locked": false,
    "device.wiped": false,
    "device.asset": "LT-4821",
  },
};

const HEALTHY_REVOKE: ToolParts = {
  name: "revoke_sessions",
  callId: "call_revoke",
  outcome: "success",
  httpStatus: 200,
  retries: 0,
  missingFields: [],
  facts: { "sessions.revoked_count": 3 },
};

const HEALTHY_ANSWER: AnswerParts = {
  claims: [
    { kind: "device_encrypted", evidence: [MDM_EVIDENCE] },
    { kind: "sessions_revoked", evidence: [REVOKE_EVIDENCE] },
  ],
  caveats: [],
  citations: [POLICY_EVIDENCE, RUNBOOK_EVIDENCE, MDM_EVIDENCE, REVOKE_EVIDENCE],
  structured: true,
};

export const healthyTrace = () => new TraceBuilder();

export class TraceBuilder {
  private routeParts: RouteParts | undefined = HEALTHY_ROUTE;
  private docParts: DocParts[] | undefined = HEALTHY_DOCS;
  private toolParts: ToolParts[] = [HEALTHY_MDM, HEALTHY_REVOKE];
  private answerParts: AnswerParts | undefined = HEALTHY_ANSWER;

  route(overrides: Partial<RouteParts>): this {
    this.routeParts = { ...HEALTHY_ROUTE, ...this.routeParts, ...overrides };
    return this;
  }

  /** Replaces the retrieved documents; each one starts from a current, rank-1 runbook. */
  docs(...docs: (Partial<DocParts> & Pick<DocParts, "id">)[]): this {
    this.docParts = docs.map((doc, index) => ({
      version: 1,
      currentVersion: doc.version ?? 1,
      kind: "runbook",
      rank: index + 1,
      title: doc.id,
      ...doc,
    }));
    return this;
  }

  /** Overrides the healthy MDM lookup. */
  mdm(overrides: Partial<ToolParts>): this {
    return this.tool(HEALTHY_MDM.callId, overrides);
  }

  /** Overrides the healthy session revocation. */
  revoke(overrides: Partial<ToolParts>): this {
    return this.tool(HEALTHY_REVOKE.callId, overrides);
  }

  /** Adds a tool call after the others. */
  addTool(parts: Partial<ToolParts> & Pick<ToolParts, "name" | "callId">): this {
    this.toolParts.push({ outcome: "success", retries: 0, missingFields: [], facts: {}, ...parts });
    return this;
  }

  answer(overrides: Partial<AnswerParts>): this {
    this.answerParts = { ...HEALTHY_ANSWER, ...this.answerParts, ...overrides };
    return this;
  }

  without(stage: "route" | "retrieve" | "tools" | "synthesize"): this {
    if (stage === "route") this.routeParts = undefined;
    if (stage === "retrieve") this.docParts = undefined;
    if (stage === "tools") this.toolParts = [];
    if (stage === "synthesize") this.answerParts = undefined;
    return this;
  }

  build(): SpanRecord[] {
    const spans = [span("answer_incident", OpenInferenceSpanKind.AGENT, {})];
    if (this.routeParts)
      spans.push(span("route", OpenInferenceSpanKind.CHAIN, routeAttributes(this.routeParts)));
    if (this.docParts)
      spans.push(span("retrieve", OpenInferenceSpanKind.RETRIEVER, docAttributes(this.docParts)));
    for (const tool of this.toolParts) {
      const toolSpan = span(`execute_tool ${tool.name}`, OpenInferenceSpanKind.TOOL, toolAttributes(tool));
      spans.push(tool.outcome === "error" ? { ...toolSpan, statusCode: "ERROR" } : toolSpan);
    }
    if (this.answerParts) {
      spans.push(span("synthesize", OpenInferenceSpanKind.CHAIN, answerAttributes(this.answerParts)));
    }
    // One trace: every span a child of the root, started in pipeline order.
    return spans.map((each, index) => ({
      ...each,
      spanId: `span-${index}`,
      parentSpanId: index === 0 ? null : "span-0",
      startNs: 1_000_000n * BigInt(index + 1),
      endNs: 1_000_000n * BigInt(index + 2),
    }));
  }

  private tool(callId: string, overrides: Partial<ToolParts>): this {
    this.toolParts = this.toolParts.map((tool) =>
      tool.callId === callId ? { ...tool, ...overrides } : tool,
    );
    return this;
  }
}

/** A bare span of the test trace; ids and times are set by `build()`. */
export function span(name: string, oiKind: string | null, attributes: Record<string, unknown>): SpanRecord {
  return {
    traceId: "trace-1",
    spanId: name,
    parentSpanId: null,
    name,
    service: "incident-assistant",
    spanKind: "INTERNAL",
    oiKind,
    startNs: 0n,
    endNs: 0n,
    statusCode: "UNSET",
    statusMessage: null,
    attributes: oiKind ? { [SC.OPENINFERENCE_SPAN_KIND]: oiKind, ...attributes } : attributes,
    events: [],
    links: [],
    resource: {},
    scope: null,
  };
}

const routeAttributes = (route: RouteParts) => ({
  [ATTR.routeName]: route.name,
  [ATTR.severity]: route.severity,
  [ATTR.category]: route.category,
  [ATTR.routeModel]: route.model,
  [ATTR.routePolicy]: route.policy,
});

function docAttributes(docs: DocParts[]) {
  const attributes: Record<string, unknown> = {
    [ATTR.indexSnapshotId]: "idx-2026-11-27-65eb3849",
    [ATTR.indexAsOf]: "2026-11-27",
  };
  docs.forEach((doc, index) => {
    const prefix = `${SC.RETRIEVAL_DOCUMENTS}.${index}.`;
    attributes[prefix + SC.DOCUMENT_ID] = doc.id;
    attributes[prefix + SC.DOCUMENT_SCORE] = 10 - doc.rank;
    attributes[prefix + SC.DOCUMENT_CONTENT] = `# ${doc.title}`;
    attributes[prefix + SC.DOCUMENT_METADATA] = JSON.stringify({
      rank: doc.rank,
      version: doc.version,
      current_version: doc.currentVersion,
      kind: doc.kind,
      title: doc.title,
      effective: "2026-09-01",
    });
  });
  return attributes;
}

function toolAttributes(tool: ToolParts) {
  const optional = {
    [ATTR.toolHttpStatus]: tool.httpStatus,
    [ATTR.errorType]: tool.errorType,
    [ATTR.toolResultAsOf]: tool.asOf,
    [ATTR.toolResultAgeS]: tool.ageS,
    [ATTR.toolFreshnessBudgetS]: tool.freshnessBudgetS,
  };
  return {
    [SC.TOOL_NAME]: tool.name,
    [SC.TOOL_ID]: tool.callId,
    [ATTR.toolOutcome]: tool.outcome,
    [ATTR.toolRetries]: tool.retries,
    [ATTR.toolMissingFields]: tool.missingFields,
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
    ...Object.fromEntries(
      Object.entries(tool.facts).map(([fact, value]) => [ATTR.toolResultFact + fact, value]),
    ),
  };
}

const answerAttributes = (answer: AnswerParts) => ({
  [ATTR.answerClaims]: JSON.stringify(answer.claims),
  [ATTR.answerCaveats]: JSON.stringify(answer.caveats),
  [ATTR.answerCitations]: answer.citations,
  [ATTR.answerStructured]: answer.structured,
});

/** The built spans as another service would send them: OTLP-valid hex ids in `traceId`, its own service name. */
export function asSentBy(spans: readonly SpanRecord[], traceId: string, service: string): SpanRecord[] {
  const spanIdOf = (index: number) => (index + 1).toString(16).padStart(16, "0");
  const indexOf = new Map(spans.map((each, index) => [each.spanId, index]));
  return spans.map((each, index) => ({
    ...each,
    traceId,
    spanId: spanIdOf(index),
    parentSpanId: each.parentSpanId === null ? null : spanIdOf(indexOf.get(each.parentSpanId) ?? 0),
    service,
    resource: { "service.name": service },
  }));
}

/** The incident's wrong story as another service sends it: revocation returned 403, the answer claims it worked. */
export const wrongStorySentBy = (traceId: string, service = "external-agent"): SpanRecord[] =>
  asSentBy(
    healthyTrace()
      .revoke({ outcome: "error", httpStatus: 403, errorType: "insufficient_scope" })
      .answer({ claims: [{ kind: "sessions_revoked", evidence: [REVOKE_EVIDENCE] }] })
      .build(),
    traceId,
    service,
  );

/** How many spans the store holds, on either engine. */
export async function spanCount(store: TraceStore): Promise<number> {
  const [row] = await store.select<{ spans: bigint }>("SELECT COUNT(*) AS spans FROM spans");
  return Number(row?.spans ?? 0);
}
