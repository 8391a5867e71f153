import { finding, type Finding } from "./finding.ts";
import { ageText, failureText, missingText, staleness } from "./tool-results.ts";
import type { Retrieval, RecordedRoute, RecordedSynthesis, ToolCall, TraceFacts } from "../trace/facts.ts";

/** The checks of one stage each; the claim checks live in claims.ts. Each returns its findings. */

const SEVERE = new Set(["high", "critical"]);

/** Was a high or critical incident sent to the fast (cheaper, weaker) model? */
export function routeDowngrade(decision: RecordedRoute): Finding[] {
  if (decision.route !== "fast" || !SEVERE.has(decision.severity ?? "")) return [];
  const incident = [`${decision.severity}-severity`, decision.category, "incident"].filter(Boolean).join(" ");
  const model = decision.model ? ` ${decision.model}` : "";
  const policy = decision.policy ? ` by the ${decision.policy} policy` : "";
  return [
    finding("route_downgrade", decision.span, `A ${incident} was routed to the fast model${model}${policy}.`),
  ];
}

/** Did the retriever return an older version of a document than the one in effect today? */
export function staleRetrieval(retrieval: Retrieval): Finding[] {
  const snapshot = retrieval.snapshotId ? ` from index snapshot ${retrieval.snapshotId}` : "";
  const asOf = retrieval.asOf ? ` (as of ${retrieval.asOf})` : "";
  return retrieval.documents
    .filter(
      (doc) =>
        doc.version !== undefined && doc.currentVersion !== undefined && doc.version < doc.currentVersion,
    )
    .map((doc) =>
      finding(
        "stale_retrieval",
        retrieval.span,
        `${doc.id} v${doc.version} was retrieved${snapshot}${asOf}, but v${doc.currentVersion} is the version in effect now.`,
      ),
    );
}

/** Did a tool call end without success once its retries were spent? */
export function toolError(call: ToolCall): Finding[] {
  if (call.outcome !== "error") return [];
  const retries =
    call.retries === undefined ? "" : ` after ${call.retries} ${call.retries === 1 ? "retry" : "retries"}`;
  return [
    finding("tool_error", call.span, `${call.tool} failed with ${failureText(call)}${retries}.`, {
      tool: call.tool,
    }),
  ];
}

/** Did a tool answer success while leaving out fields the answer needs? */
export function toolPartial(call: ToolCall): Finding[] {
  if (call.outcome !== "partial") return [];
  const status = call.httpStatus === undefined ? "" : ` HTTP ${call.httpStatus}`;
  const explanation = `${call.tool} answered${status} but its result is missing ${missingText(call)}.`;
  return [finding("tool_partial", call.span, explanation, { tool: call.tool })];
}

/** Is a tool's data older than its freshness budget? */
export function staleToolData(call: ToolCall): Finding[] {
  const stale = staleness(call);
  if (!stale) return [];
  const asOf = call.asOf ? ` as of ${call.asOf},` : "";
  return [
    finding(
      "stale_tool_data",
      call.span,
      `${call.tool} returned data${asOf} ${ageText(stale.ageS)} old, past its ${ageText(stale.budgetS)} freshness budget.`,
      { tool: call.tool },
    ),
  ];
}

/**
 * Does the answer state a conclusion with nothing behind it: no claim, no caveat, no citation? Such an
 * answer ("the incident is under control") has no claim for the claim checks to test, so it would
 * otherwise pass unexamined.
 */
export function answerWithoutEvidence(synthesis: RecordedSynthesis): Finding[] {
  const { answered, structured, claims, caveats, citations } = synthesis;
  if (!answered || !structured || claims.length + caveats.length + citations.length > 0) return [];
  return [
    finding(
      "answer_without_evidence",
      synthesis.span,
      "The answer states a conclusion but makes no claim, cites nothing and has no caveat: nothing in the trace backs it.",
    ),
  ];
}

/** Policies ranked this high must be cited: they are the rules the answer is held to. */
const MUST_CITE_RANK = 3;

/** Did the answer leave a top-ranked policy document uncited? */
export function policyNotCited(synthesis: RecordedSynthesis, trace: TraceFacts): Finding[] {
  const cited = new Set(synthesis.citations);
  return trace.retrievals
    .flatMap((retrieval) => retrieval.documents)
    .filter(
      (doc) =>
        doc.evidenceId !== undefined &&
        doc.kind === "policy" &&
        doc.rank <= MUST_CITE_RANK &&
        !cited.has(doc.evidenceId),
    )
    .map((doc) => {
      const title = doc.title ? ` (${doc.title})` : "";
      return finding(
        "policy_not_cited",
        synthesis.span,
        `The answer does not cite ${doc.evidenceId}${title}, a policy retrieved at rank ${doc.rank}.`,
      );
    });
}
