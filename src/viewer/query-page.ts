import type { NamedQuery } from "../store/queries.ts";
import { html, type SafeHtml } from "./html.ts";
import { page, type Viewer } from "./layout.ts";
import { ms, time, usd } from "./format.ts";

/** The three questions that motivate the project, in words. */
export const QUERY_TITLES: Readonly<Record<NamedQuery, string>> = {
  "tool-failed-answer-claimed-success": "A tool failed, but the answer claimed success",
  "policy-retrieved-not-cited": "The latest device policy was retrieved but not cited",
  "route-outcomes": "Outcomes per route and prompt version",
};

function cell(column: string, value: unknown): SafeHtml {
  if (value === null || value === undefined) return html`–`;
  if (column === "trace_id" && typeof value === "string") {
    return html`<a class="mono" href="/traces/${value}">${value.slice(0, 12)}…</a>`;
  }
  if (column === "start" && typeof value === "string") return time(value);
  if (typeof value === "number" && column === "cost_usd") return html`${usd(value)}`;
  if (typeof value === "number" && column.endsWith("_ms")) return html`${ms(value)}`;
  return html`${String(value)}`;
}

/** A route-outcomes row opens the trace list filtered to its route and prompt version, or to its experiment arm. */
function listLink(row: Record<string, unknown>): SafeHtml {
  const filters = Object.entries({
    route: row.route,
    prompt_version: row.prompt_version,
    experiment: row.experiment_id,
    arm: row.experiment_arm,
  }).filter((entry): entry is [string, string] => typeof entry[1] === "string");
  return html`<a href="/?${new URLSearchParams(filters).toString()}">traces</a>`;
}

/** route-outcomes groups per route, or per experiment arm: a link to the other grouping. */
function groupingLink(name: NamedQuery, groupedByArm: boolean): SafeHtml {
  if (name !== "route-outcomes") return html``;
  return groupedByArm
    ? html`<p><a href="/queries/route-outcomes">Group per route and prompt version</a></p>`
    : html`<p><a href="/queries/route-outcomes?group_by=arm">Group per experiment arm</a></p>`;
}

/** `/queries/:name`: the rows of a named query, with links to the traces they name. */
export function queryPage(
  name: NamedQuery,
  rows: readonly Record<string, unknown>[],
  viewer: Viewer,
): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const linksToList =
    (columns.includes("route") || columns.includes("experiment_arm")) && !columns.includes("trace_id");
  return page(
    { title: QUERY_TITLES[name], section: "traces", viewer },
    html`<p class="breadcrumb"><a href="/">Traces</a> › saved question</p>
      <h1>${QUERY_TITLES[name]}</h1>
      <p>
        Named query <code>${name}</code>, also <code>GET /v1/queries/${name}</code> and
        <code>npm run cli -- query ${name}</code>.
      </p>
      ${groupingLink(name, columns.includes("experiment_arm"))}
      ${
        rows.length === 0
          ? html`<p class="notice" role="status">No traces match.</p>`
          : html`<p role="status">${rows.length} ${rows.length === 1 ? "row" : "rows"}.</p>
              <div class="table-scroll">
                <table>
                  <thead>
                    <tr>
                      ${columns.map((column) => html`<th scope="col">${column}</th>`)}
                      ${linksToList && html`<th scope="col">List</th>`}
                    </tr>
                  </thead>
                  <tbody>
                    ${rows.map(
                      (row) =>
                        html`<tr>
                          ${columns.map((column) => html`<td>${cell(column, row[column])}</td>`)}
                          ${linksToList && html`<td>${listLink(row)}</td>`}
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
      }`,
  );
}
