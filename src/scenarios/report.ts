import pc from "picocolors";
import type { Diagnosis } from "../diagnosis/index.ts";
import { DIAGNOSIS_LEGEND, storyOf } from "../diagnosis/index.ts";
import type { SpanRecord } from "../store/trace-store.ts";
import { renderTree } from "../trace/tree.ts";
import type { ReplayResult } from "./replay.ts";

/** The JSON object `replay --json` prints per scenario (SPEC section 6). */
export function replayJson(result: ReplayResult) {
  return {
    scenario: result.scenario,
    traceId: result.traceId,
    answer: result.answer,
    diagnosis: result.diagnosis,
    expectations: result.expectations,
  };
}

/** The trace as a tree with each finding marked on the span where it fired, then the story. */
export function diagnosisLines(spans: readonly SpanRecord[], diagnosis: Diagnosis): string[] {
  const marks = new Map<string, string[]>();
  for (const finding of diagnosis.findings) {
    marks.set(finding.spanId, [
      ...(marks.get(finding.spanId) ?? []),
      `${finding.kind}: ${finding.explanation}`,
    ]);
  }
  const verdict = diagnosis.verdict === "supported" ? pc.green("supported") : pc.red("unsupported");
  return [
    ...renderTree(spans, marks),
    "",
    `${pc.bold("Verdict:")} ${verdict}   ${pc.bold("first bad stage:")} ${diagnosis.firstBadStage}`,
    storyOf(diagnosis),
    "",
    ...DIAGNOSIS_LEGEND.map(({ term, meaning }) => pc.dim(`${term}: ${meaning}`)),
  ];
}

/** What `replay` prints for people. */
export function replayReport(result: ReplayResult): string {
  const { answer } = result;
  const lines = [
    pc.bold(pc.underline(`Scenario ${result.scenario}`)),
    "",
    `${pc.bold("Answer:")} ${answer.summary}`,
  ];
  for (const claim of answer.claims)
    lines.push(`  claim   ${claim.kind}: ${claim.statement} ${pc.dim(claim.evidence.join(" "))}`);
  for (const caveat of answer.caveats)
    lines.push(`  caveat  ${caveat.kind}: ${caveat.text} ${pc.dim(caveat.evidence.join(" "))}`);
  lines.push("", ...diagnosisLines(result.spans, result.diagnosis), "");
  lines.push(
    result.expectations.passed
      ? pc.green("Expectations held.")
      : pc.red(`Expectations failed:\n  ${result.expectations.failures.join("\n  ")}`),
  );
  lines.push(pc.dim(`trace ${result.traceId}`), "");
  return lines.join("\n");
}
