import { SemanticConventions as SC } from "@arizeai/openinference-semantic-conventions";
import type { SpanRecord } from "../store/trace-store.ts";
import { STAGES } from "../diagnosis/index.ts";
import { numeric } from "../trace/attribute-values.ts";
import type { Stage } from "../contracts/semconv.ts";
import { html } from "./html.ts";
import { page, type Viewer } from "./layout.ts";
import { ms, percent, usd } from "./format.ts";
import { percentile, spanMs } from "../shared/measures.ts";
import { barChart } from "./bar-chart.ts";
import { periodForm, type Period, type PeriodTrace } from "./period.ts";
import type { RawQuery } from "./filters.ts";
import { numericColumn, tableHead } from "./table-head.ts";

interface StageBudget {
  stage: Stage;
  llmCalls: number;
  tokens: number;
  costUsd: number;
  /** Time in the stage's spans, per trace that ran the stage. */
  perTraceMs: number[];
}

/** The stage an LLM call belongs to: its nearest ancestor that is a stage span (route or synthesize). */
function stageAbove(span: SpanRecord, trace: PeriodTrace, byId: Map<string, SpanRecord>): Stage | undefined {
  // A parent chain that loops (spans sent over OTLP may) ends the walk.
  const seen = new Set<string>();
  for (
    let current: SpanRecord | undefined = span;
    current && !seen.has(current.spanId);
    current = byId.get(current.parentSpanId ?? "")
  ) {
    const stage = trace.stages.get(current.spanId);
    if (stage) return stage;
    seen.add(current.spanId);
  }
  return undefined;
}

function stageBudgets(period: Period): StageBudget[] {
  const budgets = new Map<Stage, StageBudget>(
    STAGES.map((stage) => [stage, { stage, llmCalls: 0, tokens: 0, costUsd: 0, perTraceMs: [] }]),
  );
  for (const trace of period.traces) {
    const byId = new Map(trace.spans.map((span) => [span.spanId, span]));
    const timeInStage = new Map<Stage, number>();
    for (const span of trace.spans) {
      const ownStage = trace.stages.get(span.spanId);
      if (ownStage) timeInStage.set(ownStage, (timeInStage.get(ownStage) ?? 0) + spanMs(span));
      if (span.oiKind !== "LLM") continue;
      const stage = stageAbove(span, trace, byId);
      const budget = stage && budgets.get(stage);
      if (!budget) continue; // an LLM call outside every stage
      budget.llmCalls += 1;
      budget.tokens += numeric(span.attributes[SC.LLM_TOKEN_COUNT_TOTAL]) ?? 0;
      budget.costUsd += numeric(span.attributes[SC.LLM_COST_TOTAL]) ?? 0;
    }
    for (const [stage, spent] of timeInStage) budgets.get(stage)?.perTraceMs.push(spent);
  }
  return [...budgets.values()];
}

const mean = (values: number[]) =>
  values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;

/** `/budget`: which stage spends the model budget and the time, across the period's traces. */
export function budgetPage(viewer: Viewer, raw: RawQuery, period: Period) {
  const budgets = stageBudgets(period);
  const totalCost = budgets.reduce((sum, budget) => sum + budget.costUsd, 0);
  const totalMs = budgets.reduce((sum, budget) => sum + budget.perTraceMs.reduce((a, b) => a + b, 0), 0);
  const timeOf = (budget: StageBudget) => budget.perTraceMs.reduce((a, b) => a + b, 0);
  const costliest = [...budgets].sort((a, b) => b.costUsd - a.costUsd)[0];
  const slowest = [...budgets].sort((a, b) => timeOf(b) - timeOf(a))[0];
  return page(
    { title: "Where the budget goes", section: "budget", viewer },
    html`<h1>Where the budget goes</h1>
      ${
        costliest &&
        slowest &&
        totalCost > 0 &&
        html`<p class="lesson">
          The ${costliest.stage} stage spends ${percent(costliest.costUsd, totalCost)} of the model budget;
          the ${slowest.stage} stage takes ${percent(timeOf(slowest), totalMs)} of the time spent in stages.
        </p>`
      }
      ${periodForm("/budget", raw, period)}
      <div class="two-columns">
        ${barChart(
          "cost-chart",
          "Model cost by stage",
          "Total llm.cost.total of the LLM calls under each stage, in US dollars.",
          budgets.map((budget) => ({
            label: budget.stage,
            value: budget.costUsd,
            text: `${usd(budget.costUsd)} (${percent(budget.costUsd, totalCost)})`,
          })),
        )}
        ${barChart(
          "time-chart",
          "Time per trace by stage",
          "Mean time spent in each stage's spans per trace, in milliseconds.",
          budgets.map((budget) => ({
            label: budget.stage,
            value: mean(budget.perTraceMs),
            text: `${ms(mean(budget.perTraceMs))} (${percent(timeOf(budget), totalMs)})`,
          })),
        )}
      </div>
      <div class="table-scroll">
        <table>
          <caption>
            Cost and latency per stage. Cost is that of the LLM calls made inside the stage; time is the stage
            spans' duration per trace.
          </caption>
          ${tableHead([
            "Stage",
            numericColumn("LLM calls"),
            numericColumn("Tokens"),
            numericColumn("Cost"),
            numericColumn("Share of cost"),
            numericColumn("Mean time per trace"),
            numericColumn("p95 per trace"),
            numericColumn("Share of time"),
          ])}
          <tbody>
            ${budgets.map((budget) => {
              const sorted = [...budget.perTraceMs].sort((a, b) => a - b);
              return html`<tr>
                <th scope="row">${budget.stage}</th>
                <td class="num">${budget.llmCalls}</td>
                <td class="num">${budget.tokens.toLocaleString("en-US")}</td>
                <td class="num">${usd(budget.costUsd)}</td>
                <td class="num">${percent(budget.costUsd, totalCost)}</td>
                <td class="num">${ms(mean(budget.perTraceMs))}</td>
                <td class="num">${ms(percentile(sorted, 95))}</td>
                <td class="num">${percent(timeOf(budget), totalMs)}</td>
              </tr>`;
            })}
          </tbody>
        </table>
      </div>`,
  );
}
