import pc from "picocolors";
import type { ArmReport, Comparison, ExperimentReport, Interval } from "../store/experiment-row.ts";

/**
 * The report as `experiment run --json` prints it: exactly the fields of SPEC section 10. The stored
 * report, which the viewer shows, has more: the correction rate's interval and each comparison's.
 */
export function experimentJson(report: ExperimentReport) {
  return {
    experiment: report.experiment,
    seed: report.seed,
    tickets: report.tickets,
    arms: report.arms.map(({ ci95, ...arm }) => ({
      ...arm,
      ci95: {
        cost_usd_per_ticket: ci95.cost_usd_per_ticket,
        unsupported_rate: ci95.unsupported_rate,
        escalation_rate: ci95.escalation_rate,
      },
    })),
    comparisons: report.comparisons.map((comparison) => ({
      baseline: comparison.baseline,
      arm: comparison.arm,
      cost_change_pct: comparison.cost_change_pct,
      unsupported_change_pp: comparison.unsupported_change_pp,
      escalation_change_pp: comparison.escalation_change_pp,
      verdict: comparison.verdict,
    })),
  };
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
const range = ([low, high]: Interval, format: (value: number) => string) =>
  `[${format(low)}, ${format(high)}]`;
const usd = (value: number) => `$${value.toFixed(5)}`;
const bare = (share: number) => (share * 100).toFixed(1);

/** The experiment for a reader: a table of the arms, then each comparison in a sentence. */
export function experimentReport(report: ExperimentReport): string {
  const header = [
    "arm",
    "tickets",
    "cost/ticket",
    "p50 ms",
    "p95 ms",
    "unsupported",
    "escalated",
    "corrected",
  ];
  const rows = report.arms.map((arm) => [
    arm.arm,
    String(arm.traces),
    `${usd(arm.cost_usd_per_ticket)} ${range(arm.ci95.cost_usd_per_ticket, (value) => value.toFixed(5))}`,
    arm.latency_p50_ms.toFixed(0),
    arm.latency_p95_ms.toFixed(0),
    `${percent(arm.unsupported_rate)} ${range(arm.ci95.unsupported_rate, bare)}`,
    `${percent(arm.escalation_rate)} ${range(arm.ci95.escalation_rate, bare)}`,
    `${percent(arm.correction_rate)} ${range(arm.ci95.correction_rate, bare)}`,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join("  ");
  const byName = new Map(report.arms.map((arm) => [arm.arm, arm]));
  return [
    pc.bold(`Experiment ${report.experiment}`) + pc.dim(` · ${report.tickets} tickets · seed ${report.seed}`),
    "",
    pc.dim(line(header)),
    ...rows.map(line),
    "",
    pc.dim("Intervals are 95% bootstrap intervals over tickets; the first arm is the baseline."),
    ...report.comparisons.map((comparison) =>
      comparisonSentence(comparison, byName.get(comparison.baseline)!, byName.get(comparison.arm)!),
    ),
  ].join("\n");
}

const QUALITY_MEASURES = [
  ["unsupported answers", "unsupported_change_pp", "unsupported_rate"],
  ["escalations", "escalation_change_pp", "escalation_rate"],
  ["corrections", "correction_change_pp", "correction_rate"],
] as const;

/**
 * "cost-saver/v2 cut cost by 23% [19, 27] but escalations rose from 2.0% to 9.5% [6.1, 13.2]: worse."
 * Quality measures whose change is significant are named; the others are summed up as unchanged.
 */
export function comparisonSentence(comparison: Comparison, baseline: ArmReport, arm: ArmReport): string {
  const [costLow, costHigh] = comparison.ci95.cost_change_pct;
  const magnitude = (value: number) => Math.abs(value).toFixed(0);
  const costInterval = `[${magnitude(Math.min(Math.abs(costLow), Math.abs(costHigh)))}, ${magnitude(
    Math.max(Math.abs(costLow), Math.abs(costHigh)),
  )}]`;
  const costPart =
    costHigh < 0
      ? `cut cost by ${magnitude(comparison.cost_change_pct)}% ${costInterval}`
      : costLow > 0
        ? `raised cost by ${magnitude(comparison.cost_change_pct)}% ${costInterval}`
        : `cost about the same (${comparison.cost_change_pct.toFixed(0)}%)`;
  const changes = QUALITY_MEASURES.flatMap(([label, change, rate]) => {
    const [low, high] = comparison.ci95[change];
    if (low <= 0 && high >= 0) return [];
    const direction = low > 0 ? "rose" : "fell";
    return [
      {
        worse: low > 0,
        text: `${label} ${direction} from ${percent(baseline[rate])} to ${percent(arm[rate])} ${range(arm.ci95[rate], bare)}`,
      },
    ];
  });
  const qualityPart =
    changes.length === 0
      ? "with no significant change in unsupported answers, escalations or corrections"
      : listInWords(changes.map((change) => change.text));
  const joiner =
    changes.length === 0 ? " " : costHigh < 0 && changes.some((change) => change.worse) ? " but " : " and ";
  const verdictColour = { better: pc.green, worse: pc.red, inconclusive: pc.yellow }[comparison.verdict];
  return `${pc.bold(comparison.arm)} against ${comparison.baseline}: ${costPart}${joiner}${qualityPart}: ${verdictColour(comparison.verdict)}.`;
}

/** "a", "a and b", "a, b and c". */
function listInWords(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}
