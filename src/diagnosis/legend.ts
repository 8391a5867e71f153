/**
 * How to read a diagnosis, in one place for the CLI and the viewer: the verdict judges the answer,
 * findings are the checks that failed, and the first bad stage is where the wrong story entered.
 */
export const DIAGNOSIS_LEGEND = [
  {
    term: "verdict",
    meaning:
      "supported when every claim of the answer is backed by evidence in the trace; unsupported when a claim is contradicted by a tool, rests on stale data without a caveat, or has no evidence (a claim_* finding).",
  },
  {
    term: "findings",
    meaning:
      "the checks that failed, each on the span where it fired. A failed tool or stale data alone leaves the answer supported if the answer says so.",
  },
  {
    term: "first bad stage",
    meaning:
      "the earliest stage (route, retrieve, tool, synthesize) with a finding other than policy_not_cited: where the wrong story entered. none when there is no such finding.",
  },
] as const;
