import type { Stage } from "../contracts/semconv.ts";
import type { Verdict } from "../contracts/vocabulary.ts";

export type FindingKind =
  | "route_downgrade"
  | "stale_retrieval"
  | "tool_error"
  | "tool_partial"
  | "stale_tool_data"
  | "claim_contradicts_tool"
  | "claim_on_stale_evidence"
  | "claim_unsupported"
  | "answer_without_evidence"
  | "policy_not_cited";

/** The pipeline stage each kind of finding points at (SPEC section 5). */
export const STAGE_OF: Readonly<Record<FindingKind, Stage>> = {
  route_downgrade: "route",
  stale_retrieval: "retrieve",
  tool_error: "tool",
  tool_partial: "tool",
  stale_tool_data: "tool",
  claim_contradicts_tool: "synthesize",
  claim_on_stale_evidence: "synthesize",
  claim_unsupported: "synthesize",
  answer_without_evidence: "synthesize",
  policy_not_cited: "synthesize",
};

/** Pipeline order, for sorting findings and picking the first bad stage. */
export const STAGES: readonly Stage[] = ["route", "retrieve", "tool", "synthesize"];

export interface Finding {
  kind: FindingKind;
  stage: Stage;
  spanId: string;
  spanName: string;
  tool?: string;
  claim?: string;
  /** One sentence, from the trace's own values. */
  explanation: string;
}

export interface Diagnosis {
  verdict: Verdict;
  firstBadStage: Stage | "none";
  findings: Finding[];
}

export const isFindingKind = (name: string): name is FindingKind => Object.hasOwn(STAGE_OF, name);

export const isClaimFinding = (finding: Finding) => finding.kind.startsWith("claim_");

/** A finding on `span`; its stage follows from its kind. */
export function finding(
  kind: FindingKind,
  span: { spanId: string; name: string },
  explanation: string,
  about: { tool?: string | undefined; claim?: string | undefined } = {},
): Finding {
  return {
    kind,
    stage: STAGE_OF[kind],
    spanId: span.spanId,
    spanName: span.name,
    ...(about.tool !== undefined && { tool: about.tool }),
    ...(about.claim !== undefined && { claim: about.claim }),
    explanation,
  };
}

/**
 * The verdict and first bad stage that a list of findings implies: unsupported when any claim
 * finding fired; a policy left uncited is worth reporting but does not make a stage bad.
 */
export function diagnosisOf(findings: Finding[]): Diagnosis {
  const badStages = new Set(findings.filter((f) => f.kind !== "policy_not_cited").map((f) => f.stage));
  return {
    verdict: findings.some(isClaimFinding) ? "unsupported" : "supported",
    firstBadStage: STAGES.find((stage) => badStages.has(stage)) ?? "none",
    findings,
  };
}
