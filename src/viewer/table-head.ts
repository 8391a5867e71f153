import { html, type SafeHtml } from "./html.ts";

interface Column {
  label: string;
  numeric: boolean;
}

/** A numeric column: right-aligned, so digits line up. */
export const numericColumn = (label: string): Column => ({ label, numeric: true });

/** A table's head: one header cell per column, scoped to its column for screen readers. */
export function tableHead(columns: readonly (string | Column)[]): SafeHtml {
  return html`<thead>
    <tr>
      ${columns.map((column) =>
        typeof column === "string"
          ? html`<th scope="col">${column}</th>`
          : html`<th scope="col" class="num">${column.label}</th>`,
      )}
    </tr>
  </thead>`;
}
