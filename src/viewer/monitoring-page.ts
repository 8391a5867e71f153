import type { SpanRecord } from "../store/trace-store.ts";
import { STAGES, STAGE_OF, type FindingKind } from "../diagnosis/index.ts";
import { numeric } from "../trace/attribute-values.ts";
import { html, type SafeHtml } from "./html.ts";
import { page, type Viewer } from "./layout.ts";
import { ms, percent, time } from "./format.ts";
import { findingBadge } from "./badges.ts";
import { distribution, periodForm, stageSpans, type Distribution, type Period } from "./period.ts";
import type { RawQuery } from "./filters.ts";
import { numericColumn, tableHead } from "./table-head.ts";
import { traceCell } from "./list-page.ts";

export interface StageCount {
  stage: string;
  outcome: string;
  count: number;
}

/** The stage counters the process exports on /metrics, when the viewer was given them. */
export type StageMetrics = StageCount[] | { error: string };

/** `incident_stage_duration_seconds_count{stage="tool",outcome="error"} 1` lines of Prometheus text. */
export function stageCounts(prometheus: string): StageCount[] {
  return prometheus.split("\n").flatMap((line) => {
    const match = /^incident_stage_duration(?:_seconds)?_count\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!match) return [];
    const labels = new Map([...(match[1] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const stage = labels.get("stage");
    const count = Number(match[2]);
    if (!stage || !Number.isFinite(count)) return [];
    return [{ stage, outcome: labels.get("outcome") ?? "ok", count }];
  });
}

/**
 * The latency objective a team's dashboard would alert on. The dashboards judge only what they see:
 * 5xx answers and latency against this objective.
 */
export const LATENCY_OBJECTIVE_MS = 10_000;

function status(failed: number): SafeHtml {
  return failed === 0
    ? html`<span class="badge badge-good"><span aria-hidden="true">✓</span> OK</span>`
    : html`<span class="badge badge-warn"><span aria-hidden="true">●</span> ${failed} failed</span>`;
}

/** The dashboard's own judgement: green unless a 5xx was answered or p95 broke the objective. */
const dashboardGreen = (serverErrors: number, p95: number | null) =>
  serverErrors === 0 && (p95 ?? 0) <= LATENCY_OBJECTIVE_MS;

function dashboardStatus(serverErrors: number, p95: number | null): SafeHtml {
  if (dashboardGreen(serverErrors, p95))
    return html`<span class="badge badge-good"><span aria-hidden="true">✓</span> green</span>`;
  const why = serverErrors > 0 ? `${serverErrors} 5xx` : `p95 over ${ms(LATENCY_OBJECTIVE_MS)}`;
  return html`<span class="badge badge-warn"><span aria-hidden="true">●</span> ${why}</span>`;
}

/** The API's requests as a gateway dashboard sees them: answered with a 5xx or not, and how fast. */
function requestsTable(period: Period): SafeHtml {
  const requests = distribution(period.traces.map((trace) => trace.root));
  return html`<div class="table-scroll">
    <table>
      <caption>
        Requests to the assistant's API
        <span class="hint"
          >Rate, 5xx answers and latency, against a p95 objective of ${ms(LATENCY_OBJECTIVE_MS)}. A 200 whose
          answer is wrong looks like any other 200.</span
        >
      </caption>
      ${tableHead([
        "Endpoint",
        numericColumn("Rate"),
        numericColumn("5xx"),
        numericColumn("p50"),
        numericColumn("p95"),
        "Dashboard",
      ])}
      <tbody>
        <tr>
          <th scope="row">POST /v1/incidents/ask</th>
          <td class="num">${requests.count}</td>
          <td class="num">${requests.errors} (${percent(requests.errors, requests.count)})</td>
          <td class="num">${ms(requests.p50)}</td>
          <td class="num">${ms(requests.p95)}</td>
          <td>${dashboardStatus(requests.errors, requests.p95)}</td>
        </tr>
      </tbody>
    </table>
  </div>`;
}

function redRow(label: string, stats: Distribution): SafeHtml {
  return html`<tr>
    <th scope="row">${label}</th>
    <td class="num">${stats.count}</td>
    <td class="num">${stats.errors} (${percent(stats.errors, stats.count)})</td>
    <td class="num">${ms(stats.p50)}</td>
    <td class="num">${ms(stats.p95)}</td>
    <td>${status(stats.errors)}</td>
  </tr>`;
}

function redTable(period: Period): SafeHtml {
  const byStage = stageSpans(period);
  return html`<div class="table-scroll">
    <table>
      <caption>
        Failures inside the pipeline, per stage
        <span class="hint"
          >From the stage spans. A tool that failed inside a request answered 200 shows here, not on a
          dashboard.</span
        >
      </caption>
      ${tableHead([
        "Stage",
        numericColumn("Rate"),
        numericColumn("Errors"),
        numericColumn("p50"),
        numericColumn("p95"),
        "Status",
      ])}
      <tbody>
        ${STAGES.map((stage) => redRow(stage, distribution(byStage.get(stage) ?? [])))}
      </tbody>
    </table>
  </div>`;
}

/** What each service's own dashboard sees: its SERVER spans, where a 4xx is the caller's problem. */
function serviceTable(period: Period): SafeHtml {
  const byService = new Map<string, SpanRecord[]>();
  for (const span of period.traces.flatMap((trace) => trace.spans)) {
    if (span.spanKind === "SERVER")
      byService.set(span.service, [...(byService.get(span.service) ?? []), span]);
  }
  const httpStatus = (span: SpanRecord) => numeric(span.attributes["http.response.status_code"]) ?? 0;
  const rows = [...byService]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([service, spans]) => {
      const serverErrors = spans.filter(
        (span) => span.statusCode === "ERROR" || httpStatus(span) >= 500,
      ).length;
      const clientErrors = spans.filter((span) => httpStatus(span) >= 400 && httpStatus(span) < 500).length;
      const { p95 } = distribution(spans);
      return html`<tr>
        <th scope="row">${service}</th>
        <td class="num">${spans.length}</td>
        <td class="num">${serverErrors} (${percent(serverErrors, spans.length)})</td>
        <td class="num">${clientErrors}</td>
        <td class="num">${ms(p95)}</td>
        <td>${dashboardStatus(serverErrors, p95)}</td>
      </tr>`;
    });
  return html`<div class="table-scroll">
    <table>
      <caption>
        Each service's own view
        <span class="hint"
          >Server side. By HTTP convention a 4xx is the caller's error: it does not count against the
          service.</span
        >
      </caption>
      ${tableHead([
        "Service",
        numericColumn("Rate"),
        numericColumn("5xx"),
        numericColumn("4xx"),
        numericColumn("p95"),
        "Dashboard",
      ])}
      <tbody>
        ${rows}
      </tbody>
    </table>
  </div>`;
}

function metricsTable(metrics: StageMetrics | undefined): SafeHtml {
  if (!metrics) return html``;
  if ("error" in metrics)
    return html`<p class="notice">The /metrics text could not be read: ${metrics.error}</p>`;
  const stages = [...new Set(metrics.map((row) => row.stage))];
  const count = (stage: string, outcome: string) =>
    metrics
      .filter((row) => row.stage === stage && row.outcome === outcome)
      .reduce((sum, row) => sum + row.count, 0);
  if (stages.length === 0) {
    return html`<p class="hint">/metrics: this process has not run a stage since it started.</p>`;
  }
  return html`<table>
    <caption>
      The same stages on /metrics
      <span class="hint">Counters of this process since it started, not of the period.</span>
    </caption>
    ${tableHead(["Stage", numericColumn("ok"), numericColumn("error")])}
    <tbody>
      ${stages.map(
        (stage) =>
          html`<tr>
            <th scope="row">${stage}</th>
            <td class="num">${count(stage, "ok")}</td>
            <td class="num">${count(stage, "error")}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function unsupportedTable(period: Period): SafeHtml {
  const unsupported = period.traces.filter((trace) => trace.diagnosis.verdict === "unsupported");
  if (unsupported.length === 0) return html`<p>No unsupported answers in this period.</p>`;
  return html`<table>
    <caption>
      Unsupported answers
      <span class="hint"><a href="/?verdict=unsupported">List them with the filters</a></span>
    </caption>
    ${tableHead(["Trace", "First bad stage", "What the answer got wrong"])}
    <tbody>
      ${unsupported.map(
        (trace) =>
          html`<tr>
            <td class="trace-cell">
              ${traceCell(trace.item)}
              <span class="hint">${time(trace.item.start)}</span>
            </td>
            <td>${trace.diagnosis.firstBadStage}</td>
            <td>
              ${trace.diagnosis.findings
                .filter((finding) => finding.kind.startsWith("claim_"))
                .map((finding) => html`<div>${findingBadge(finding.kind)} ${finding.claim ?? ""}</div>`)}
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function findingKindsTable(period: Period): SafeHtml {
  const traces = new Map<FindingKind, number>();
  for (const trace of period.traces) {
    for (const kind of new Set(trace.diagnosis.findings.map((finding) => finding.kind))) {
      traces.set(kind, (traces.get(kind) ?? 0) + 1);
    }
  }
  // In pipeline order, as the diagnosis lists them.
  const kinds = (Object.keys(STAGE_OF) as FindingKind[]).filter((kind) => traces.has(kind));
  return html`<table>
    <caption>
      Traces with each kind of finding
    </caption>
    ${tableHead(["Finding", "Stage", numericColumn("Traces")])}
    <tbody>
      ${kinds.map(
        (kind) =>
          html`<tr>
            <td><a href="/?finding=${kind}">${kind}</a></td>
            <td>${STAGE_OF[kind]}</td>
            <td class="num">${traces.get(kind)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

const claim = (count: number) => (count === 1 ? "claims" : "claim");

/** The lesson in one sentence, from this period's numbers, judged as the two columns judge them. */
function lesson(period: Period): string {
  const total = period.traces.length;
  if (total === 0) return "No traces in this period.";
  const requests = distribution(period.traces.map((trace) => trace.root));
  const unsupported = period.traces.filter((trace) => trace.diagnosis.verdict === "unsupported").length;
  const failedToolCalls = (stageSpans(period).get("tool") ?? []).filter(
    (span) => span.statusCode === "ERROR",
  );
  const dashboards = dashboardGreen(requests.errors, requests.p95)
    ? `The dashboards are green: ${total} requests, ${requests.errors} answered 5xx, p95 ${ms(requests.p95)} within its ${ms(LATENCY_OBJECTIVE_MS)} objective.`
    : `The dashboards are not green: ${requests.errors} of ${total} requests answered 5xx, p95 ${ms(requests.p95)} against a ${ms(LATENCY_OBJECTIVE_MS)} objective.`;
  const traces =
    unsupported === 0
      ? `The traces agree: no answer claims more than its evidence supports${failedToolCalls.length > 0 ? `, though ${failedToolCalls.length} tool ${failedToolCalls.length === 1 ? "call" : "calls"} failed inside those requests` : ""}.`
      : `Only the traces show that ${unsupported} of those answers ${claim(unsupported)} what their own tool results and documents do not support, and that ${failedToolCalls.length} tool ${failedToolCalls.length === 1 ? "call" : "calls"} failed inside requests the API answered 200.`;
  return `${dashboards} ${traces}`;
}

/** `/monitoring`: the RED view beside what the traces of the same period reveal. */
export function monitoringPage(
  viewer: Viewer,
  raw: RawQuery,
  period: Period,
  metrics: StageMetrics | undefined,
) {
  const unsupported = period.traces.filter((trace) => trace.diagnosis.verdict === "unsupported").length;
  return page(
    { title: "Monitoring vs observability", section: "monitoring", viewer },
    html`<h1>Monitoring vs observability</h1>
      <p class="lesson">${lesson(period)}</p>
      ${periodForm("/monitoring", raw, period)}
      <div class="two-columns">
        <section aria-labelledby="monitoring-title">
          <h2 id="monitoring-title">Monitoring: what the dashboards see</h2>
          <p class="hint">
            What a team usually has: request rate, HTTP errors and latency percentiles, per service. Each row
            is judged as its dashboard would judge it.
          </p>
          ${requestsTable(period)} ${serviceTable(period)}
        </section>
        <section aria-labelledby="observability-title">
          <h2 id="observability-title">Observability: what the traces reveal</h2>
          <p class="big-number">
            <strong>${unsupported}</strong> of ${period.traces.length} answers ${claim(unsupported)} what
            their evidence does not support.
          </p>
          ${unsupportedTable(period)} ${findingKindsTable(period)} ${redTable(period)}
          ${metricsTable(metrics)}
        </section>
      </div>`,
  );
}
