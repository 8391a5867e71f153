import { html, type SafeHtml } from "./html.ts";

const usdFormat = new Intl.NumberFormat("en-US", {
  style: "currency",
  currency: "USD",
  maximumSignificantDigits: 3,
});

/** Model spend is fractions of a cent per call: three significant digits, not two decimals. */
export const usd = (value: number | null | undefined) => (value == null ? "–" : usdFormat.format(value));

export function ms(value: number | null | undefined): string {
  if (value == null) return "–";
  const rounded = value >= 100 ? Math.round(value) : Math.round(value * 10) / 10;
  return `${rounded.toLocaleString("en-US")} ms`;
}

export const percent = (part: number, whole: number) =>
  whole === 0 ? "–" : `${Math.round((part / whole) * 1000) / 10}%`;

/** `2026-11-27 17:40:14 UTC`, with the exact instant kept in `datetime`. */
export function time(iso: string | null | undefined): SafeHtml {
  if (!iso) return html`–`;
  const shown = iso.replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC");
  return html`<time datetime="${iso}">${shown}</time>`;
}
