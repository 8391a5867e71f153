/** The report of one experiment run (SPEC section 10), as `experiment run --json` prints it and the store keeps it. */

export type Interval = [number, number];

export interface ArmReport {
  /** `<routing policy>/<synthesizer prompt>`, the traces' `incident.experiment.arm`. */
  arm: string;
  routing_policy: string;
  synthesizer_prompt: string;
  traces: number;
  cost_usd_total: number;
  cost_usd_per_ticket: number;
  latency_p50_ms: number;
  latency_p95_ms: number;
  /** Shares of tickets, 0 to 1. */
  unsupported_rate: number;
  escalation_rate: number;
  correction_rate: number;
  ci95: {
    cost_usd_per_ticket: Interval;
    unsupported_rate: Interval;
    escalation_rate: Interval;
    correction_rate: Interval;
  };
}

export type ComparisonVerdict = "better" | "worse" | "inconclusive";

/** An arm against the baseline (the first arm), on the same tickets; changes in percent and percentage points. */
export interface Comparison {
  baseline: string;
  arm: string;
  cost_change_pct: number;
  unsupported_change_pp: number;
  escalation_change_pp: number;
  correction_change_pp: number;
  verdict: ComparisonVerdict;
  ci95: {
    cost_change_pct: Interval;
    unsupported_change_pp: Interval;
    escalation_change_pp: Interval;
    correction_change_pp: Interval;
  };
}

export interface ExperimentReport {
  experiment: string;
  seed: number;
  tickets: number;
  arms: ArmReport[];
  comparisons: Comparison[];
}

export interface StoredExperiment {
  report: ExperimentReport;
  createdAt: string;
}
