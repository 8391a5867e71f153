import { html, type SafeHtml } from "./html.ts";

/** Colour is never the only signal: every badge carries an icon and a word. */
export function verdictBadge(verdict: string | null): SafeHtml {
  if (verdict === "unsupported") {
    return html`<span class="badge badge-bad"><span aria-hidden="true">✗</span> unsupported</span>`;
  }
  if (verdict === "supported") {
    return html`<span class="badge badge-good"><span aria-hidden="true">✓</span> supported</span>`;
  }
  return html`<span class="badge">not diagnosed</span>`;
}

export function errorBadge(): SafeHtml {
  return html`<span class="badge badge-bad"><span aria-hidden="true">●</span> ERROR</span>`;
}

export function findingBadge(kind: string): SafeHtml {
  return html`<span class="badge badge-finding"><span aria-hidden="true">▲</span> finding: ${kind}</span>`;
}

export function outcomeBadge(outcome: string | undefined): SafeHtml {
  if (outcome === "success") return html`<span class="badge badge-good">success</span>`;
  if (outcome === "error") return html`<span class="badge badge-bad">error</span>`;
  if (outcome === "partial") return html`<span class="badge badge-warn">partial</span>`;
  return html`<span class="badge">unknown</span>`;
}
