import type { ArmReport, Comparison, Interval, StoredExperiment } from "../store/experiment-row.ts";
import { barChart } from "./bar-chart.ts";
import { time, usd } from "./format.ts";
import { html, type SafeHtml } from "./html.ts";
import { page, type Viewer } from "./layout.ts";

const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
const pctRange = ([low, high]: Interval) => `${(low * 100).toFixed(1)}–${(high * 100).toFixed(1)}%`;
const usdRange = ([low, high]: Interval) => `${usd(low)}–${usd(high)}`;
const signed = (value: number, unit: string) => `${value > 0 ? "+" : ""}${value.toFixed(1)}${unit}`;
const signedRange = ([low, high]: Interval, unit: string) => `[${signed(low, unit)}, ${signed(high, unit)}]`;

/** The trace list behind a number: the arm's traces, narrowed by `more` (verdict, feedback). */
function traces(experiment: string, arm: string, more: Record<string, string> = {}) {
  return `/?${new URLSearchParams({ experiment, arm, ...more, limit: "500" }).toString()}`;
}

const VERDICT_CLASS = { better: "badge-good", worse: "badge-bad", inconclusive: "badge-warn" } as const;

function verdictBadge(verdict: Comparison["verdict"]): SafeHtml {
  return html`<span class="badge ${VERDICT_CLASS[verdict]}">${verdict}</span>`;
}

/** `/experiments`: every run, newest first, with the verdict of each comparison. */
export function experimentsPage(viewer: Viewer, experiments: readonly StoredExperiment[]): string {
  return page(
    { title: "Experiments", section: "experiments", viewer },
    html`<h1>Experiments</h1>
      <p class="lesson">
        The same tickets through two or more arms (routing policy × synthesizer prompt): a cheaper arm is
        still a regression if its traces show more unsupported claims, corrections or escalations. Run one
        with
        <code>npm run cli -- experiment run --tickets 200 --seed 7 --arms quality-first/v2,cost-saver/v2</code
        >.
      </p>
      ${
        experiments.length === 0
          ? html`<p class="notice" role="status">No experiment has run against this store yet.</p>`
          : html`<div class="table-scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Experiment</th>
                    <th scope="col">Run</th>
                    <th scope="col" class="num">Tickets</th>
                    <th scope="col" class="num">Seed</th>
                    <th scope="col">Arms against the baseline</th>
                  </tr>
                </thead>
                <tbody>
                  ${experiments.map(
                    ({ report, createdAt }) =>
                      html`<tr>
                        <td>
                          <a class="mono" href="/experiments/${report.experiment}">${report.experiment}</a>
                        </td>
                        <td class="nowrap">${time(createdAt)}</td>
                        <td class="num">${report.tickets}</td>
                        <td class="num">${report.seed}</td>
                        <td>
                          <span class="hint">baseline ${report.arms[0]?.arm}</span>
                          ${report.comparisons.map(
                            (comparison) =>
                              html`<div>${comparison.arm} ${verdictBadge(comparison.verdict)}</div>`,
                          )}
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
      }`,
  );
}

function armRow(experiment: string, arm: ArmReport): SafeHtml {
  const link = (text: string, more: Record<string, string> = {}) =>
    html`<a href="${traces(experiment, arm.arm, more)}">${text}</a>`;
  return html`<tr>
    <th scope="row">${link(arm.arm)}</th>
    <td class="num">${link(String(arm.traces))}</td>
    <td class="num">
      ${link(usd(arm.cost_usd_per_ticket))}
      <div class="hint">${usdRange(arm.ci95.cost_usd_per_ticket)}</div>
    </td>
    <td class="num">${Math.round(arm.latency_p50_ms)} / ${Math.round(arm.latency_p95_ms)} ms</td>
    <td class="num">
      ${link(pct(arm.unsupported_rate), { verdict: "unsupported" })}
      <div class="hint">${pctRange(arm.ci95.unsupported_rate)}</div>
    </td>
    <td class="num">
      ${link(pct(arm.escalation_rate), { feedback: "escalated" })}
      <div class="hint">${pctRange(arm.ci95.escalation_rate)}</div>
    </td>
    <td class="num">
      ${link(pct(arm.correction_rate), { feedback: "corrected" })}
      <div class="hint">${pctRange(arm.ci95.correction_rate)}</div>
    </td>
  </tr>`;
}

function comparisonRow(comparison: Comparison): SafeHtml {
  const cell = (value: number, interval: Interval, unit: string) =>
    html`<td class="num">
      ${signed(value, unit)}
      <div class="hint">${signedRange(interval, unit)}</div>
    </td>`;
  return html`<tr>
    <th scope="row">${comparison.arm}</th>
    ${cell(comparison.cost_change_pct, comparison.ci95.cost_change_pct, "%")}
    ${cell(comparison.unsupported_change_pp, comparison.ci95.unsupported_change_pp, " pp")}
    ${cell(comparison.escalation_change_pp, comparison.ci95.escalation_change_pp, " pp")}
    ${cell(comparison.correction_change_pp, comparison.ci95.correction_change_pp, " pp")}
    <td>${verdictBadge(comparison.verdict)}</td>
  </tr>`;
}

/** `/experiments/:id`: the arms side by side, as a table and charts; every number opens its traces. */
export function experimentPage(viewer: Viewer, { report, createdAt }: StoredExperiment): string {
  const { experiment, arms } = report;
  const chart = (
    id: string,
    title: string,
    value: (arm: ArmReport) => number,
    text: (arm: ArmReport) => string,
  ) =>
    barChart(
      id,
      title,
      `${title} per arm, with the 95% interval.`,
      arms.map((arm) => ({ label: arm.arm, value: value(arm), text: text(arm) })),
      { labelWidth: 130, valueWidth: 230 },
    );
  return page(
    { title: `Experiment ${experiment}`, section: "experiments", viewer },
    html`<p class="breadcrumb"><a href="/experiments">Experiments</a> › ${experiment}</p>
      <h1>Experiment <span class="mono">${experiment}</span></h1>
      <p>
        ${report.tickets} tickets, seed ${report.seed}, run ${time(createdAt)}. Baseline: ${arms[0]?.arm}.
        Every number links to the traces behind it.
      </p>
      <div class="table-scroll">
        <table>
          <caption>
            Arms (95% bootstrap intervals over tickets below each figure)
          </caption>
          <thead>
            <tr>
              <th scope="col">Arm</th>
              <th scope="col" class="num">Traces</th>
              <th scope="col" class="num">Cost per ticket</th>
              <th scope="col" class="num">Latency p50 / p95</th>
              <th scope="col" class="num">Unsupported</th>
              <th scope="col" class="num">Escalated</th>
              <th scope="col" class="num">Corrected</th>
            </tr>
          </thead>
          <tbody>
            ${arms.map((arm) => armRow(experiment, arm))}
          </tbody>
        </table>
      </div>
      <div class="two-columns">
        ${chart(
          "cost",
          "Cost per ticket",
          (arm) => arm.cost_usd_per_ticket,
          (arm) => `${usd(arm.cost_usd_per_ticket)} (${usdRange(arm.ci95.cost_usd_per_ticket)})`,
        )}
        ${chart(
          "unsupported",
          "Unsupported answers",
          (arm) => arm.unsupported_rate,
          (arm) => `${pct(arm.unsupported_rate)} (${pctRange(arm.ci95.unsupported_rate)})`,
        )}
        ${chart(
          "escalations",
          "Escalations",
          (arm) => arm.escalation_rate,
          (arm) => `${pct(arm.escalation_rate)} (${pctRange(arm.ci95.escalation_rate)})`,
        )}
      </div>
      <h2>Against the baseline</h2>
      <p>
        Changes are paired (the same tickets in both arms). An arm is <strong>worse</strong> when unsupported
        answers, escalations or corrections rose significantly, whatever it saved;
        <strong>better</strong> when quality improved significantly, or it cost significantly less and quality
        held.
      </p>
      <div class="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Arm</th>
              <th scope="col" class="num">Cost</th>
              <th scope="col" class="num">Unsupported</th>
              <th scope="col" class="num">Escalations</th>
              <th scope="col" class="num">Corrections</th>
              <th scope="col">Verdict</th>
            </tr>
          </thead>
          <tbody>
            ${report.comparisons.map(comparisonRow)}
          </tbody>
        </table>
      </div>`,
  );
}
