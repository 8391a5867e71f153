import type { Diagnosis, Finding } from "../diagnosis/index.ts";
import type { Scenario } from "./scenario.ts";

export interface ExpectationResult {
  passed: boolean;
  failures: string[];
}

type ExpectedFinding = NonNullable<Scenario["expect"]>["findings"][number];

const matches = (finding: Finding, expected: ExpectedFinding) =>
  finding.kind === expected.kind &&
  (expected.stage === undefined || finding.stage === expected.stage) &&
  (expected.tool === undefined || finding.tool === expected.tool) &&
  (expected.claim === undefined || finding.claim === expected.claim);

const describe = (finding: ExpectedFinding | Finding) =>
  [finding.kind, finding.tool, finding.claim].filter(Boolean).join(" ");

/** Compares a diagnosis with a scenario's `expect` block; no block means nothing to fail. */
export function checkExpectations(expect: Scenario["expect"], diagnosis: Diagnosis): ExpectationResult {
  const failures: string[] = [];
  if (!expect) return { passed: true, failures };
  if (expect.verdict && expect.verdict !== diagnosis.verdict) {
    failures.push(`verdict: expected ${expect.verdict}, got ${diagnosis.verdict}`);
  }
  if (expect.first_bad_stage && expect.first_bad_stage !== diagnosis.firstBadStage) {
    failures.push(`first_bad_stage: expected ${expect.first_bad_stage}, got ${diagnosis.firstBadStage}`);
  }
  for (const expected of expect.findings) {
    if (!diagnosis.findings.some((finding) => matches(finding, expected))) {
      failures.push(`finding missing: ${describe(expected)}`);
    }
  }
  if (expect.exact) {
    for (const finding of diagnosis.findings) {
      if (!expect.findings.some((expected) => matches(finding, expected))) {
        failures.push(`finding not expected (exact): ${describe(finding)}`);
      }
    }
  }
  return { passed: failures.length === 0, failures };
}
