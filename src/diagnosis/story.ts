import type { Diagnosis, Finding } from "./finding.ts";

/**
 * A short paragraph for people: where the wrong story entered and why, told from the findings
 * alone (so it can be told again from stored annotations).
 */
export function storyOf(diagnosis: Diagnosis): string {
  return [...whatWentWrong(diagnosis), ...uncitedPolicies(diagnosis.findings)].join(" ");
}

function whatWentWrong({ verdict, firstBadStage, findings }: Diagnosis): string[] {
  if (firstBadStage === "none") {
    return ["No wrong story: every claim in the answer is backed by a successful, fresh tool result."];
  }
  const atFirstStage = findings.filter((f) => f.stage === firstBadStage && f.kind !== "policy_not_cited");
  const causes = joinAnd([...new Set(atFirstStage.map(cause))]);
  const details = atFirstStage.map((f) => f.explanation);
  if (verdict === "supported") {
    const unbacked = findings.some((f) => f.kind === "answer_without_evidence");
    return [
      `No wrong story reached the answer, though the ${firstBadStage} stage went wrong: ${causes}.`,
      ...details,
      unbacked
        ? "The verdict stays supported only because the answer makes no claim for the checks to test."
        : "Every claim in the answer is still backed by the trace.",
    ];
  }
  // At the synthesize stage the causes are the claims themselves.
  const claimed = firstBadStage === "synthesize" ? "" : `, yet ${whatTheAnswerClaimed(findings)}`;
  return [`The wrong story entered at the ${firstBadStage} stage: ${causes}${claimed}.`, ...details];
}

/** An uncited policy does not change the verdict, so it is told apart. */
function uncitedPolicies(findings: Finding[]): string[] {
  const uncited = findings.filter((f) => f.kind === "policy_not_cited");
  if (uncited.length === 0) return [];
  return ["Separately, the answer leaves a top-ranked policy uncited.", ...uncited.map((f) => f.explanation)];
}

/** What went wrong, in a few words. */
function cause(finding: Finding): string {
  const { tool, claim } = finding;
  switch (finding.kind) {
    case "route_downgrade":
      return "a severe incident was routed to the fast model";
    case "stale_retrieval":
      return "an outdated document version was retrieved";
    case "tool_error":
      return `${tool} failed`;
    case "tool_partial":
      return `${tool} returned a partial record`;
    case "stale_tool_data":
      return `${tool} returned stale data`;
    case "claim_contradicts_tool":
      return `the answer claimed ${claim} against ${tool}'s result`;
    case "claim_on_stale_evidence":
      return `the answer claimed ${claim} from stale ${tool} data without saying so`;
    case "claim_unsupported":
      return claim
        ? `the answer claimed ${claim} without evidence that establishes it`
        : "the model returned no structured claims to check";
    case "answer_without_evidence":
      return "the answer stated a conclusion with no claim, citation or caveat behind it";
    case "policy_not_cited":
      return "a top-ranked policy went uncited";
  }
}

function whatTheAnswerClaimed(findings: Finding[]): string {
  const claims = [...new Set(findings.flatMap((f) => (f.claim === undefined ? [] : [f.claim])))];
  return claims.length > 0
    ? `the answer claimed ${joinAnd(claims)}`
    : "the model returned no structured claims to check";
}

/** "a", "a and b", "a, b and c". */
function joinAnd(items: string[]): string {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}
