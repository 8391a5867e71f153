import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Bootstrap, compare, METRICS, type TicketOutcome } from "../../src/experiments/statistics.ts";
import { comparisonSentence } from "../../src/experiments/report.ts";
import type { ArmReport } from "../../src/store/experiment-row.ts";

const outcome = (overrides: Partial<TicketOutcome> = {}): TicketOutcome => ({
  costUsd: 0.01,
  latencyMs: 100,
  unsupported: false,
  escalated: false,
  corrected: false,
  ...overrides,
});

/** `count` tickets, the first `flagged` of them with `flag` set. */
const arm = (
  count: number,
  flagged: number,
  base: Partial<TicketOutcome>,
  flag: Partial<TicketOutcome> = {},
) => Array.from({ length: count }, (_, index) => outcome({ ...base, ...(index < flagged ? flag : {}) }));

describe("bootstrap intervals", () => {
  it("hold the point estimate, and are the same for the same seed", () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 5, maxLength: 60 }),
        fc.integer({ min: 1 }),
        (flags, seed) => {
          const outcomes = flags.map((unsupported) => outcome({ unsupported }));
          const [low, high] = new Bootstrap(flags.length, seed).metricInterval(outcomes, "unsupported_rate");
          const rate = METRICS.unsupported_rate(outcomes);
          expect(low).toBeLessThanOrEqual(rate);
          expect(high).toBeGreaterThanOrEqual(rate);
          expect(new Bootstrap(flags.length, seed).metricInterval(outcomes, "unsupported_rate")).toEqual([
            low,
            high,
          ]);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe("comparing an arm with the baseline", () => {
  const bootstrap = new Bootstrap(200, 7);
  const baseline = { arm: "quality-first/v2", outcomes: arm(200, 4, { costUsd: 0.01 }, { escalated: true }) };

  it("calls a cheaper arm with significantly more escalations worse, whatever it saved", () => {
    const cheap = { arm: "cost-saver/v2", outcomes: arm(200, 19, { costUsd: 0.0077 }, { escalated: true }) };
    const comparison = compare(bootstrap, baseline, cheap);
    expect(comparison.verdict).toBe("worse");
    expect(comparison.cost_change_pct).toBeCloseTo(-23, 5);
    expect(comparison.escalation_change_pp).toBeCloseTo(7.5, 5);
    expect(comparison.ci95.escalation_change_pp[0]).toBeGreaterThan(0);
    const report = (name: string, outcomes: TicketOutcome[]) =>
      ({
        arm: name,
        escalation_rate: METRICS.escalation_rate(outcomes),
        unsupported_rate: 0,
        correction_rate: 0,
        ci95: { escalation_rate: bootstrap.metricInterval(outcomes, "escalation_rate") },
      }) as ArmReport;
    expect(
      stripVTControlCharacters(
        comparisonSentence(
          comparison,
          report(baseline.arm, baseline.outcomes),
          report(cheap.arm, cheap.outcomes),
        ),
      ),
    ).toMatch(
      /cut cost by 23% \[23, 23\] but escalations rose from 2\.0% to 9\.5% \[\d+\.\d, \d+\.\d\]: worse\.$/,
    );
  });

  it("calls a cheaper arm of the same quality better, and a change within the noise inconclusive", () => {
    const cheap = { arm: "cost-saver/v2", outcomes: arm(200, 4, { costUsd: 0.008 }, { escalated: true }) };
    expect(compare(bootstrap, baseline, cheap).verdict).toBe("better");
    const same = { arm: "quality-first/v1", outcomes: arm(200, 5, { costUsd: 0.01 }, { escalated: true }) };
    expect(compare(bootstrap, baseline, same).verdict).toBe("inconclusive");
  });

  it("calls an arm that costs significantly more for no better answers worse", () => {
    const dear = { arm: "quality-first/v1", outcomes: arm(200, 4, { costUsd: 0.02 }, { escalated: true }) };
    expect(compare(bootstrap, baseline, dear).verdict).toBe("worse");
  });
});
