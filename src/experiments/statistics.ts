import { percentile } from "../shared/measures.ts";
import type { Comparison, ComparisonVerdict, Interval } from "../store/experiment-row.ts";
import { SeededRandom } from "./random.ts";

/** What one ticket cost and how its answer fared, in one arm. */
export interface TicketOutcome {
  costUsd: number;
  latencyMs: number;
  unsupported: boolean;
  escalated: boolean;
  corrected: boolean;
}

/** Resamples per interval: enough for stable 2.5th and 97.5th percentiles at a few hundred tickets. */
const RESAMPLES = 2_000;

const mean = (values: readonly number[]) =>
  values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
const share = (outcomes: readonly TicketOutcome[], flag: (outcome: TicketOutcome) => boolean) =>
  mean(outcomes.map((outcome) => (flag(outcome) ? 1 : 0)));

export const METRICS = {
  cost_usd_per_ticket: (outcomes: readonly TicketOutcome[]) =>
    mean(outcomes.map((outcome) => outcome.costUsd)),
  unsupported_rate: (outcomes: readonly TicketOutcome[]) => share(outcomes, (outcome) => outcome.unsupported),
  escalation_rate: (outcomes: readonly TicketOutcome[]) => share(outcomes, (outcome) => outcome.escalated),
  correction_rate: (outcomes: readonly TicketOutcome[]) => share(outcomes, (outcome) => outcome.corrected),
} as const;
type Metric = keyof typeof METRICS;

/**
 * Percentile bootstrap over tickets: resample the tickets with replacement, recompute the statistic,
 * and take the middle 95%. Every arm ran the same tickets, so one resample of ticket indices serves
 * all arms at once, which makes differences between arms paired.
 */
export class Bootstrap {
  private readonly samples: number[][];

  constructor(tickets: number, seed: number) {
    const random = new SeededRandom(seed);
    this.samples = Array.from({ length: RESAMPLES }, () =>
      Array.from({ length: tickets }, () => random.int(0, tickets - 1)),
    );
  }

  /** The 95% interval of `statistic` over resamples of the tickets. */
  interval(statistic: (indices: readonly number[]) => number): Interval {
    const values = this.samples.map(statistic).sort((a, b) => a - b);
    return [percentile(values, 2.5) ?? 0, percentile(values, 97.5) ?? 0];
  }

  metricInterval(outcomes: readonly TicketOutcome[], metric: Metric): Interval {
    return this.interval((indices) => METRICS[metric](indices.map((index) => outcomes[index]!)));
  }
}

const QUALITY = {
  unsupported_change_pp: "unsupported_rate",
  escalation_change_pp: "escalation_rate",
  correction_change_pp: "correction_rate",
} as const;

/**
 * An arm against the baseline, on the same tickets. Worse when any quality measure (unsupported
 * answers, escalations, corrections) rose significantly, whatever the cost, or when it cost
 * significantly more for no significant gain in quality. Better when quality improved significantly
 * (and no measure fell), or when it cost significantly less and quality held. Otherwise inconclusive.
 * Significant: the 95% interval of the paired difference excludes zero.
 */
export function compare(
  bootstrap: Bootstrap,
  baseline: { arm: string; outcomes: readonly TicketOutcome[] },
  arm: { arm: string; outcomes: readonly TicketOutcome[] },
): Comparison {
  const at = (outcomes: readonly TicketOutcome[], indices: readonly number[]) =>
    indices.map((index) => outcomes[index]!);
  const costChange = (indices: readonly number[]) => {
    const before = METRICS.cost_usd_per_ticket(at(baseline.outcomes, indices));
    return before === 0 ? 0 : (METRICS.cost_usd_per_ticket(at(arm.outcomes, indices)) / before - 1) * 100;
  };
  const pointPp = (metric: Metric) =>
    (METRICS[metric](arm.outcomes) - METRICS[metric](baseline.outcomes)) * 100;
  const intervalPp = (metric: Metric) =>
    bootstrap.interval(
      (indices) =>
        (METRICS[metric](at(arm.outcomes, indices)) - METRICS[metric](at(baseline.outcomes, indices))) * 100,
    );
  const allIndices = baseline.outcomes.map((_, index) => index);
  const ci95 = {
    cost_change_pct: bootstrap.interval(costChange),
    unsupported_change_pp: intervalPp(QUALITY.unsupported_change_pp),
    escalation_change_pp: intervalPp(QUALITY.escalation_change_pp),
    correction_change_pp: intervalPp(QUALITY.correction_change_pp),
  };
  const qualityIntervals = Object.keys(QUALITY).map((key) => ci95[key as keyof typeof QUALITY]);
  const qualityFell = qualityIntervals.some(([low]) => low > 0);
  const qualityRose = qualityIntervals.some(([, high]) => high < 0);
  const [costLow, costHigh] = ci95.cost_change_pct;
  const verdict: ComparisonVerdict =
    qualityFell || (costLow > 0 && !qualityRose)
      ? "worse"
      : qualityRose || costHigh < 0
        ? "better"
        : "inconclusive";
  return {
    baseline: baseline.arm,
    arm: arm.arm,
    cost_change_pct: costChange(allIndices),
    unsupported_change_pp: pointPp("unsupported_rate"),
    escalation_change_pp: pointPp("escalation_rate"),
    correction_change_pp: pointPp("correction_rate"),
    verdict,
    ci95,
  };
}
