import type { TraceStore } from "../store/trace-store.ts";
import type { TraceListItem } from "../store/queries.ts";
import { STAGE_OF } from "../diagnosis/index.ts";
import { FEEDBACK_OUTCOMES } from "../contracts/vocabulary.ts";
import { html, type SafeHtml } from "./html.ts";
import { page, type Viewer } from "./layout.ts";
import { ms, time, usd } from "./format.ts";
import { filterQuery, toLocalInput, type RawQuery } from "./filters.ts";
import { QUERY_TITLES } from "./query-page.ts";
import { verdictBadge } from "./badges.ts";
import { numericColumn, tableHead } from "./table-head.ts";

export interface TraceList {
  traces: TraceListItem[];
  next_cursor: string | null;
}

interface SelectFilter {
  name: string;
  label: string;
  options: readonly string[];
}

/** The values the store holds for a summary column, so the selects offer only what exists. */
async function distinct(
  store: TraceStore,
  column: "route" | "model" | "prompt_version" | "experiment_id" | "experiment_arm",
): Promise<string[]> {
  return store.selectValues<string>(
    `SELECT DISTINCT ${column} FROM trace_summaries WHERE ${column} IS NOT NULL ORDER BY 1`,
  );
}

async function selectFilters(store: TraceStore, raw: RawQuery): Promise<SelectFilter[]> {
  const [experiments, arms, routes, models, promptVersions] = await Promise.all([
    distinct(store, "experiment_id"),
    distinct(store, "experiment_arm"),
    distinct(store, "route"),
    distinct(store, "model"),
    distinct(store, "prompt_version"),
  ]);
  // Experiment filters only where there are experiments (or the URL asks for one).
  const experimentFilters =
    experiments.length > 0 || raw.experiment || raw.arm
      ? [
          { name: "experiment", label: "Experiment", options: experiments },
          { name: "arm", label: "Arm", options: arms },
        ]
      : [];
  return [
    { name: "route", label: "Route", options: routes },
    { name: "model", label: "Model", options: models },
    { name: "prompt_version", label: "Prompt version", options: promptVersions },
    { name: "status", label: "Status", options: ["OK", "ERROR"] },
    { name: "verdict", label: "Verdict", options: ["supported", "unsupported"] },
    { name: "finding", label: "Finding kind", options: Object.keys(STAGE_OF) },
    { name: "feedback", label: "Feedback", options: [...FEEDBACK_OUTCOMES, "none"] },
    ...experimentFilters,
  ];
}

function select({ name, label, options }: SelectFilter, raw: RawQuery): SafeHtml {
  const current = raw[name] ?? "";
  // A value typed into the URL stays visible even when the store holds no such value.
  const values = current && !options.includes(current) ? [...options, current] : options;
  return html`<div class="field">
    <label for="filter-${name}">${label}</label>
    <select id="filter-${name}" name="${name}">
      <option value="">any</option>
      ${values.map((value) => html`<option ${value === current && html`selected`}>${value}</option>`)}
    </select>
  </div>`;
}

function timeInput(name: "from" | "to", label: string, raw: RawQuery): SafeHtml {
  return html`<div class="field">
    <label for="filter-${name}">${label} <span class="hint">(UTC)</span></label>
    <input
      id="filter-${name}"
      name="${name}"
      type="datetime-local"
      step="1"
      value="${toLocalInput(raw[name])}"
    />
  </div>`;
}

async function filterForm(store: TraceStore, raw: RawQuery): Promise<SafeHtml> {
  const filters = await selectFilters(store, raw);
  return html`<form class="filters" method="get" action="/" aria-label="Filter traces">
    ${filters.map((filter) => select(filter, raw))} ${timeInput("from", "From", raw)}
    ${timeInput("to", "To", raw)}
    <div class="filter-actions">
      <button type="submit">Apply filters</button>
      <a href="/">Clear</a>
    </div>
  </form>`;
}

function namedQueries(): SafeHtml {
  return html`<nav class="named-queries" aria-labelledby="named-queries-title">
    <h2 id="named-queries-title">Saved questions:</h2>
    <ul>
      ${Object.entries(QUERY_TITLES).map(
        ([name, title]) => html`<li><a href="/queries/${name}">${title}</a></li>`,
      )}
    </ul>
  </nav>`;
}

/** A replay's scenario id, or an experiment's ticket id, from the session the runner asks in. */
const scenarioOf = (trace: TraceListItem) =>
  trace.session_id?.match(/^scenario:(.+)$/)?.[1] ?? trace.session_id?.match(/^experiment:[^:]+:(.+)$/)?.[1];

/** What a reader picks a trace by: the scenario it replays, or its id; then what it was about. */
export function traceCell(trace: TraceListItem): SafeHtml {
  const scenario = scenarioOf(trace);
  const label = scenario
    ? html`<a class="trace-link" href="/traces/${trace.trace_id}">${scenario}</a>
        <span class="hint mono">${trace.trace_id.slice(0, 8)}</span>`
    : html`<a class="trace-link mono" href="/traces/${trace.trace_id}">${trace.trace_id.slice(0, 12)}…</a>`;
  return html`${label}
    <div class="hint">
      ${trace.category?.replaceAll("_", " ") ?? "no category"}${trace.experiment_arm && ` · ${trace.experiment_arm}`}
    </div>`;
}

function row(trace: TraceListItem): SafeHtml {
  return html`<tr>
    <td class="nowrap">${time(trace.start)}</td>
    <td class="trace-cell">${traceCell(trace)}</td>
    <td>${verdictBadge(trace.verdict)}</td>
    <td>${trace.first_finding ?? "–"}</td>
    <td>${trace.first_bad_stage ?? "–"}</td>
    <td class="nowrap">${trace.route ?? "–"} / ${trace.model ?? "–"}</td>
    <td class="nowrap">${trace.prompt_version ?? "–"}</td>
    <td class="num">${usd(trace.cost_usd)}</td>
    <td class="num">${ms(trace.duration_ms)}</td>
    <td class="num">${trace.finding_count}</td>
    <td>${trace.feedback_outcome ?? "none"}</td>
  </tr>`;
}

function traceTable(list: TraceList, raw: RawQuery): SafeHtml {
  if (list.traces.length === 0) {
    return html`<p class="notice" role="status">No traces match these filters.</p>`;
  }
  const count = list.traces.length;
  return html`<p role="status">Showing ${count} ${count === 1 ? "trace" : "traces"}, newest first.</p>
    <div class="table-scroll">
      <table class="traces">
        <caption class="visually-hidden">
          Traces
        </caption>
        ${tableHead([
          "Time",
          "Trace",
          "Verdict",
          "First finding",
          "First bad stage",
          "Route / model",
          "Prompt",
          numericColumn("Cost"),
          numericColumn("Latency"),
          numericColumn("Findings"),
          "Feedback",
        ])}
        <tbody>
          ${list.traces.map(row)}
        </tbody>
      </table>
    </div>
    <nav class="pager" aria-label="Pages">
      ${raw.cursor && html`<a href="/${filterQuery(raw, { cursor: "" })}">First page</a>`}
      ${list.next_cursor && html`<a href="/${filterQuery(raw, { cursor: list.next_cursor })}">Next page</a>`}
    </nav>`;
}

/** `/`: the traces, newest first, with the filters and the saved questions beside them. */
export async function listPage(
  store: TraceStore,
  viewer: Viewer,
  raw: RawQuery,
  result: { list: TraceList } | { errors: string[] },
): Promise<string> {
  return page(
    { title: "Traces", section: "traces", viewer },
    html`<h1>Traces</h1>
      ${namedQueries()} ${await filterForm(store, raw)}
      ${
        "errors" in result
          ? html`<div class="notice notice-error" role="alert">
              <p>These filters cannot be applied:</p>
              <ul>
                ${result.errors.map((error) => html`<li>${error}</li>`)}
              </ul>
            </div>`
          : traceTable(result.list, raw)
      }`,
  );
}
