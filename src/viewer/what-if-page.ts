import type { Role } from "../shared/config.ts";
import { html, type SafeHtml } from "./html.ts";
import { page, type Viewer } from "./layout.ts";
import type { TraceModel } from "./trace-model.ts";
import { verdictBadge } from "./badges.ts";

/** What the viewer shows of a what-if replay (SPEC section 11); `trace replay --json` prints the same. */
export interface WhatIfView {
  replay: string;
  change: string;
  answer: {
    summary: string;
    claims: { kind: string; statement: string }[];
    caveats: { kind: string; text: string }[];
  };
  diagnosis: { verdict: string; findings: { kind: string; tool?: string; claim?: string }[] };
  diff: Record<
    "claims_added" | "claims_removed" | "caveats_added" | "findings_added" | "findings_removed",
    string[]
  >;
  fixed: boolean;
}

/** What-if replays the viewer can run: a reviewer's, since a replay reads the restricted tier. */
export interface WhatIfService {
  /** The changes that could alter a trace's answer, read from its safe metadata. */
  changes(traceId: string): Promise<string[]>;
  /** Runs one replay; `reader` is named in the restricted tier's audit log. */
  run(traceId: string, change: string, reader: { role: Role }): Promise<WhatIfView>;
}

/** The trace page's "What if…" panel: one button per applicable change. */
export function whatIfPanel(traceId: string, changes: readonly string[]): SafeHtml {
  return html`<section id="what-if" aria-labelledby="what-if-title">
    <h2 id="what-if-title">What if…</h2>
    <p>
      Re-run this trace's pipeline from what it recorded (model outputs, documents, tool responses), with one
      thing changed, and see whether that would have fixed the answer. The replay is a new trace, linked to
      this one.
    </p>
    <div class="buttons">
      ${changes.map(
        (change) =>
          html`<form method="post" action="/traces/${traceId}/what-if">
            <input type="hidden" name="change" value="${change}" />
            <button type="submit">${change}</button>
          </form>`,
      )}
    </div>
  </section>`;
}

const items = (list: string[]) =>
  list.length === 0
    ? html`<span class="hint">none</span>`
    : html`${list.map((item) => html`<code>${item}</code> `)}`;

/** An answer as a column: its words where the viewer may read them, its claims and caveats always. */
export interface AnswerColumn {
  summary?: string | undefined;
  claims: { kind: string; statement?: string | undefined }[];
  caveats: { kind: string; text?: string | undefined }[];
}

function answerColumn(title: SafeHtml, verdict: string | null, answer: AnswerColumn): SafeHtml {
  return html`<section class="panel">
    <h2>${title} ${verdictBadge(verdict)}</h2>
    <p>${answer.summary ?? html`<span class="hint">The answer's words are not in this trace.</span>`}</p>
    <h3>Claims</h3>
    <ul>
      ${answer.claims.map((claim) => html`<li><code>${claim.kind}</code> ${claim.statement ?? ""}</li>`)}
    </ul>
    <h3>Caveats</h3>
    ${
      answer.caveats.length === 0
        ? html`<p class="hint">none</p>`
        : html`<ul>
            ${answer.caveats.map((caveat) => html`<li><code>${caveat.kind}</code> ${caveat.text ?? ""}</li>`)}
          </ul>`
    }
  </section>`;
}

/** `POST /traces/:id/what-if`: the recorded answer and the replay's side by side, and what moved. */
export function whatIfPage(
  viewer: Viewer,
  original: TraceModel,
  recordedAnswer: AnswerColumn,
  result: WhatIfView,
): string {
  const headline = result.fixed
    ? html`<p class="lesson"><strong>${result.change}</strong> fixes the answer: its replay is supported.</p>`
    : html`<p class="lesson">
        <strong>${result.change}</strong> does not fix the answer on its own: the replay is still
        ${result.diagnosis.verdict}.
      </p>`;
  return page(
    { title: `What if ${result.change}`, section: "traces", viewer },
    html`<p class="breadcrumb">
        <a href="/">Traces</a> › <a href="/traces/${original.traceId}">${original.traceId.slice(0, 12)}…</a> ›
        what if ${result.change}
      </p>
      <h1>What if ${result.change}?</h1>
      ${headline}
      <p>
        <a href="/traces/${result.replay}">Open the replay's trace</a> (<span class="mono"
          >${result.replay}</span
        >)
      </p>
      <div class="two-columns">
        ${answerColumn(html`Recorded`, original.diagnosis.verdict, recordedAnswer)}
        ${answerColumn(html`What if ${result.change}`, result.diagnosis.verdict, result.answer)}
      </div>
      <h2>What moved</h2>
      <dl class="diff">
        <dt>Findings removed</dt>
        <dd>${items(result.diff.findings_removed)}</dd>
        <dt>Findings added</dt>
        <dd>${items(result.diff.findings_added)}</dd>
        <dt>Findings left</dt>
        <dd>${items(result.diagnosis.findings.map((finding) => finding.kind))}</dd>
        <dt>Claims removed</dt>
        <dd>${items(result.diff.claims_removed)}</dd>
        <dt>Claims added</dt>
        <dd>${items(result.diff.claims_added)}</dd>
        <dt>Caveats added</dt>
        <dd>${items(result.diff.caveats_added)}</dd>
      </dl>`,
  );
}
