import pc from "picocolors";
import type { WhatIfResult } from "./replay.ts";

const list = (items: string[]) => (items.length === 0 ? pc.dim("none") : items.join(", "));

/** One replay for a reader: did the change fix the answer, and what moved. */
export function whatIfReport(result: WhatIfResult): string {
  const verdict =
    result.diagnosis.verdict === "supported" ? pc.green("✓ supported") : pc.red("✗ unsupported");
  const headline = result.fixed
    ? pc.green("fixed: the answer is supported")
    : result.diagnosis.verdict === "supported"
      ? "the answer was already supported"
      : pc.yellow("not fixed: the answer is still unsupported");
  return [
    `${pc.bold(`What if ${result.change}?`)} ${headline}`,
    `  replay ${result.replay} ${verdict}, first bad stage ${result.diagnosis.firstBadStage}`,
    `  answer: ${result.answer.summary}`,
    `  claims added: ${list(result.diff.claims_added)}; removed: ${list(result.diff.claims_removed)}`,
    `  caveats added: ${list(result.diff.caveats_added)}`,
    `  findings removed: ${list(result.diff.findings_removed)}; added: ${list(result.diff.findings_added)}`,
    `  still: ${list(result.diagnosis.findings.map((finding) => finding.kind))}`,
  ].join("\n");
}
