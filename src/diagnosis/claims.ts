import type { CaveatKind, ClaimKind } from "../contracts/vocabulary.ts";
import { finding, type Finding } from "./finding.ts";
import { ageText, failed, outcomeText, staleness, succeeded } from "./tool-results.ts";
import type { AnswerItem, RecordedSynthesis, ToolCall, TraceFacts } from "../trace/facts.ts";

/** How tool results bear on one kind of claim. */
interface ClaimRule {
  /** The tool whose results can establish or contradict the claim. */
  tool: string;
  /** Does this cited result establish the claim? */
  establishes: (call: ToolCall) => boolean;
  /** The result, among all of the tool's calls in the trace, that contradicts the claim. */
  contradiction: (calls: readonly ToolCall[]) => ToolCall | undefined;
  /** What the contradicting result said, as a verb phrase. */
  reported: (call: ToolCall) => string;
}

/** A fact from the MDM device record: the claimed value establishes the claim, the opposite contradicts it. */
function deviceFact(field: "encrypted" | "locked" | "wiped", claimed: boolean): ClaimRule {
  const fact = `device.${field}`;
  return {
    tool: "mdm_lookup_device",
    establishes: (call) => call.facts[fact] === claimed,
    contradiction: (calls) => calls.find((call) => call.facts[fact] === !claimed),
    reported: () => `reported ${fact} = ${!claimed}`,
  };
}

/** A rule on the outcome of revoke_sessions: the revocation is the fact. */
const revocation = (rule: Omit<ClaimRule, "tool" | "reported">): ClaimRule => ({
  tool: "revoke_sessions",
  reported: outcomeText,
  ...rule,
});

/**
 * The claims a tool result can establish. A claim kind without a rule (account_disabled,
 * escalated_to_human) has no tool behind it, so it is always unsupported. One line per rule.
 */
const CLAIM_RULES: Partial<Record<ClaimKind, ClaimRule>> = {
  device_encrypted: deviceFact("encrypted", true),
  device_not_encrypted: deviceFact("encrypted", false),
  device_locked: deviceFact("locked", true),
  device_wiped: deviceFact("wiped", true),
  // A failed revocation contradicts the claim only when no other revocation went through.
  sessions_revoked: revocation({
    establishes: succeeded,
    contradiction: (calls) =>
      calls.some(succeeded)
        ? undefined
        : calls.find((call) => call.outcome !== undefined && !succeeded(call)),
  }),
  sessions_not_revoked: revocation({ establishes: failed, contradiction: (calls) => calls.find(succeeded) }),
};

const ruleFor = (kind: string): ClaimRule | undefined =>
  Object.hasOwn(CLAIM_RULES, kind) ? CLAIM_RULES[kind as ClaimKind] : undefined;

const STALE_DATA: CaveatKind = "stale_data";

/** The claim findings of one answer, claim by claim. */
export function claimFindings(synthesis: RecordedSynthesis, trace: TraceFacts): Finding[] {
  if (!synthesis.structured) {
    const explanation =
      "The model returned no structured claims, so the answer cannot be checked against the trace.";
    return [finding("claim_unsupported", synthesis.span, explanation)];
  }
  return synthesis.claims.flatMap((claim) => [
    ...supportFindings(claim, synthesis, trace),
    ...staleEvidence(claim, synthesis, trace),
  ]);
}

/** Does a tool result contradict the claim, or, if none does, does its evidence fail to establish it? */
function supportFindings(claim: AnswerItem, synthesis: RecordedSynthesis, trace: TraceFacts): Finding[] {
  const rule = ruleFor(claim.kind);
  const contradicting = rule?.contradiction(trace.toolCalls.filter((call) => call.tool === rule.tool));
  if (rule && contradicting) {
    const explanation = `The answer claims ${claim.kind}, but ${contradicting.tool} ${rule.reported(contradicting)}.`;
    return [
      finding("claim_contradicts_tool", synthesis.span, explanation, {
        tool: contradicting.tool,
        claim: claim.kind,
      }),
    ];
  }
  const gap = supportGap(claim, rule, trace);
  if (gap === undefined) return [];
  return [
    finding("claim_unsupported", synthesis.span, `The answer claims ${claim.kind}${gap}.`, {
      tool: rule?.tool,
      claim: claim.kind,
    }),
  ];
}

/** Why the claim's evidence does not establish it, as the rest of "The answer claims <kind>…"; undefined when it does. */
function supportGap(claim: AnswerItem, rule: ClaimRule | undefined, trace: TraceFacts): string | undefined {
  if (claim.evidence.length === 0) return " without citing any evidence";
  const absent = claim.evidence.filter(
    (id) => !trace.toolCallsByEvidence.has(id) && !trace.documentEvidence.has(id),
  );
  if (absent.length > 0) {
    return ` citing ${absent.join(", ")}, which ${absent.length === 1 ? "is" : "are"} not in the trace`;
  }
  if (!rule) return ", but no tool result in this system can establish it";
  const cited = citedCalls(claim, trace).filter((call) => call.tool === rule.tool);
  if (cited.some(rule.establishes)) return undefined;
  const [first] = cited;
  if (!first) return `, but it cites no ${rule.tool} result`;
  return first.outcome === "success"
    ? `, but the cited ${rule.tool} result does not establish it`
    : `, but the cited ${rule.tool} call ${outcomeText(first)}`;
}

/** Does the claim rest on stale tool data that no stale_data caveat owns up to? */
function staleEvidence(claim: AnswerItem, synthesis: RecordedSynthesis, trace: TraceFacts): Finding[] {
  const acknowledged = new Set(
    synthesis.caveats.filter((caveat) => caveat.kind === STALE_DATA).flatMap((caveat) => caveat.evidence),
  );
  return [...new Set(claim.evidence)].flatMap((id) => {
    const call = trace.toolCallsByEvidence.get(id);
    const stale = call && staleness(call);
    if (!call || !stale || acknowledged.has(id)) return [];
    const explanation = `The answer claims ${claim.kind} from ${call.tool} data ${ageText(stale.ageS)} old without a stale_data caveat citing it.`;
    return [
      finding("claim_on_stale_evidence", synthesis.span, explanation, { tool: call.tool, claim: claim.kind }),
    ];
  });
}

/** The tool calls a claim cites, each once, in citation order. */
function citedCalls(claim: AnswerItem, trace: TraceFacts): ToolCall[] {
  return [...new Set(claim.evidence)].flatMap((id) => trace.toolCallsByEvidence.get(id) ?? []);
}
