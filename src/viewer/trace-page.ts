import { SemanticConventions as SC } from "@arizeai/openinference-semantic-conventions";
import type { SpanRecord } from "../store/trace-store.ts";
import { DIAGNOSIS_LEGEND, storyOf, type Finding } from "../diagnosis/index.ts";
import type { ToolCall } from "../trace/facts.ts";
import { text } from "../trace/attribute-values.ts";
import { FEEDBACK_OUTCOMES, type FeedbackOutcome } from "../contracts/vocabulary.ts";
import { ATTR, RAW_PAYLOAD_ATTR } from "../contracts/semconv.ts";
import { html, type SafeHtml } from "./html.ts";
import { page, type Viewer } from "./layout.ts";
import { ms, time, usd } from "./format.ts";
import { nsToIso, spanMs } from "../shared/measures.ts";
import { errorBadge, findingBadge, outcomeBadge, verdictBadge } from "./badges.ts";
import { attributeTable, attributeValue, groupedAttributes } from "./attributes.ts";
import { waterfall } from "./waterfall.ts";
import { answerOf, evidenceSpan, type TraceModel } from "./trace-model.ts";
import { whatIfPanel } from "./what-if-page.ts";
import { numericColumn, tableHead } from "./table-head.ts";

export const HIDDEN_PAYLOAD = "Hidden: restricted payload — needs a reviewer token";

/** What this viewer may see of the restricted tier for one trace. */
export type Payloads =
  | { access: "hidden" }
  | { access: "not-stored" }
  /** `open`: shown to anyone because no API_TOKENS are set, not because a reviewer signed in. */
  | { access: "shown"; bySpan: Record<string, Record<string, unknown>>; open: boolean };

const BUTTON_LABELS: Record<FeedbackOutcome, string> = {
  confirmed: "Confirm",
  corrected: "Correct",
  escalated: "Escalate",
};

const spanLink = (span: SpanRecord | undefined, label?: string) =>
  span
    ? html`<a href="?span=${span.spanId}#span-detail">${label ?? span.name}</a>`
    : html`<span>${label ?? "span not in trace"}</span>`;

function hiddenNotice(): SafeHtml {
  return html`<p class="notice notice-restricted"><span aria-hidden="true">🔒</span> ${HIDDEN_PAYLOAD}</p>`;
}

function payloadOf(payloads: Payloads, spanId: string): SafeHtml {
  switch (payloads.access) {
    case "hidden":
      return hiddenNotice();
    case "not-stored":
      return html`<p class="notice">Restricted payloads are not stored for this trace.</p>`;
    case "shown": {
      const payload = payloads.bySpan[spanId];
      return payload && Object.keys(payload).length > 0
        ? attributeTable(
            Object.entries(payload),
            payloads.open
              ? "Raw attributes, from the restricted tier: shown to anyone because API_TOKENS is not set (the API and viewer are open, on loopback by default); set it so that only reviewers see them"
              : "Raw attributes, from the restricted tier (reviewer role; this read is audited)",
          )
        : html`<p class="notice">No restricted payload was kept for this span.</p>`;
    }
  }
}

/**
 * A payload the root span may carry (the question, the answer): from the trace when it is kept
 * there, else from the restricted tier for a reviewer, else the notice that it is hidden.
 */
function rootPayload(
  model: TraceModel,
  payloads: Payloads,
  key: string,
): { value: unknown } | "hidden" | undefined {
  const kept = model.root.attributes[key];
  if (kept !== undefined) return { value: kept };
  if (payloads.access === "hidden") return "hidden";
  const restricted = payloads.access === "shown" ? payloads.bySpan[model.root.spanId]?.[key] : undefined;
  return restricted === undefined ? undefined : { value: restricted };
}

function summary(model: TraceModel, payloads: Payloads): SafeHtml {
  const { root, diagnosis } = model;
  const question = rootPayload(model, payloads, SC.INPUT_VALUE);
  const item = (label: string, value: SafeHtml | string) =>
    html`<div>
      <dt>${label}</dt>
      <dd>${value}</dd>
    </div>`;
  return html`<header class="trace-header">
    <p class="breadcrumb"><a href="/">Traces</a> › trace</p>
    <h1>Trace <span class="mono">${model.traceId}</span></h1>
    ${
      question === "hidden"
        ? hiddenNotice()
        : question
          ? html`<blockquote class="question"><p>${text(question.value) ?? ""}</p></blockquote>`
          : html`<p class="hint">The question is not stored for this trace.</p>`
    }
    <dl class="facts">
      ${item("Verdict", verdictBadge(diagnosis.verdict))} ${item("First bad stage", diagnosis.firstBadStage)}
      ${item("Route", text(root.attributes[ATTR.routeName]) ?? "–")}
      ${item("Model", text(root.attributes[ATTR.routeModel]) ?? "–")}
      ${item("Prompt version", text(root.attributes[ATTR.synthesizerPromptVersion]) ?? "–")}
      ${item("Cost", usd(model.costUsd))} ${item("Latency", ms(spanMs(root)))}
      ${item("Started", time(nsToIso(root.startNs)))}
    </dl>
  </header>`;
}

function diagnosisSection(model: TraceModel): SafeHtml {
  const clean = model.diagnosis.findings.length === 0;
  return html`<section
    class="${clean ? "diagnosis diagnosis-clean" : "diagnosis"}"
    aria-labelledby="diagnosis-title"
  >
    <h2 id="diagnosis-title">Diagnosis</h2>
    <p>${storyOf(model.diagnosis)}</p>
    <details class="legend">
      <summary>How to read a diagnosis</summary>
      <dl>
        ${DIAGNOSIS_LEGEND.map(
          ({ term, meaning }) =>
            html`<div>
              <dt>${term}</dt>
              <dd>${meaning}</dd>
            </div>`,
        )}
      </dl>
    </details>
  </section>`;
}

function spanDetail(model: TraceModel, selected: SpanRecord, payloads: Payloads): SafeHtml {
  const findings = model.findingsBySpan.get(selected.spanId) ?? [];
  const parent = model.rows.find((row) => row.span.spanId === selected.parentSpanId)?.span;
  return html`<section id="span-detail" class="span-detail" aria-labelledby="span-detail-title" tabindex="-1">
    <h2 id="span-detail-title">Selected span: ${selected.name}</h2>
    <dl class="facts">
      <div>
        <dt>Service</dt>
        <dd>${selected.service}</dd>
      </div>
      <div>
        <dt>Kind</dt>
        <dd>${selected.oiKind ?? selected.spanKind}</dd>
      </div>
      <div>
        <dt>Status</dt>
        <dd>${selected.statusCode === "ERROR" ? errorBadge() : selected.statusCode}</dd>
      </div>
      <div>
        <dt>Duration</dt>
        <dd>${ms(spanMs(selected))}</dd>
      </div>
      <div>
        <dt>Span id</dt>
        <dd class="mono">${selected.spanId}</dd>
      </div>
      <div>
        <dt>Parent</dt>
        <dd>${parent ? spanLink(parent) : "none"}</dd>
      </div>
    </dl>
    ${selected.statusMessage && html`<p>Status message: <code>${selected.statusMessage}</code></p>`}
    ${findings.map(
      (finding) => html`<p class="finding-note">${findingBadge(finding.kind)} ${finding.explanation}</p>`,
    )}
    ${groupedAttributes(selected.attributes)}
    ${
      selected.events.length > 0 &&
      html`<h3>Events</h3>
        <ul>
          ${selected.events.map(
            (event) => html`<li><code>${event.name}</code> ${attributeValue(event.attributes)}</li>`,
          )}
        </ul>`
    }
    ${
      selected.oiKind &&
      html`<h3>Restricted payload</h3>
        ${payloadOf(payloads, selected.spanId)}`
    }
  </section>`;
}

function findingsFor(findings: Finding[], claim: string): Finding[] {
  return findings.filter((finding) => finding.claim === claim && finding.stage === "synthesize");
}

function evidenceLinks(model: TraceModel, evidence: string[]): SafeHtml {
  if (evidence.length === 0) return html`<span class="hint">cites no evidence</span>`;
  return html`${evidence.map((id, index) => {
    const span = evidenceSpan(model.facts, id);
    return html`${index > 0 && ", "}${
      span
        ? html`<a class="mono" href="?span=${span.spanId}#span-detail">${id}</a>`
        : html`<span class="mono">${id}</span> <span class="hint">(not in the trace)</span>`
    }`;
  })}`;
}

function answerSection(model: TraceModel, payloads: Payloads): SafeHtml {
  const output = rootPayload(model, payloads, SC.OUTPUT_VALUE);
  const answer = answerOf(model.facts, output === "hidden" ? undefined : output?.value);
  const claimFindings = (kind: string) => findingsFor(model.diagnosis.findings, kind);
  return html`<section aria-labelledby="answer-title">
    <h2 id="answer-title">The answer</h2>
    ${
      output === "hidden"
        ? hiddenNotice()
        : answer.summary
          ? html`<p class="answer-summary">${answer.summary}</p>`
          : html`<p class="hint">The answer's words are not in this trace; its claims are.</p>`
    }
    <h3>Claims</h3>
    ${
      answer.claims.length === 0
        ? html`<p>No structured claims.</p>`
        : html`<ul class="claims">
            ${answer.claims.map((claim) => {
              const findings = claimFindings(claim.kind);
              return html`<li class="${findings.length > 0 ? "claim claim-bad" : "claim"}">
                <p><code>${claim.kind}</code>${claim.statement && html` — ${claim.statement}`}</p>
                <p>Evidence: ${evidenceLinks(model, claim.evidence)}</p>
                ${findings.map((finding) => html`<p>${findingBadge(finding.kind)} ${finding.explanation}</p>`)}
              </li>`;
            })}
          </ul>`
    }
    <h3>Caveats</h3>
    ${
      answer.caveats.length === 0
        ? html`<p>No caveats.</p>`
        : html`<ul class="claims">
            ${answer.caveats.map(
              (caveat) =>
                html`<li class="claim">
                  <p><code>${caveat.kind}</code>${caveat.text && html` — ${caveat.text}`}</p>
                  <p>Evidence: ${evidenceLinks(model, caveat.evidence)}</p>
                </li>`,
            )}
          </ul>`
    }
  </section>`;
}

function findingsSection(model: TraceModel): SafeHtml {
  const { findings } = model.diagnosis;
  const spanOf = (finding: Finding) => model.rows.find((row) => row.span.spanId === finding.spanId)?.span;
  return html`<section aria-labelledby="findings-title">
    <h2 id="findings-title">Findings (${findings.length})</h2>
    ${
      findings.length === 0
        ? html`<p>No check fired on this trace.</p>`
        : html`<ol class="findings">
            ${findings.map(
              (finding) =>
                html`<li>
                  <p>
                    ${findingBadge(finding.kind)} at the <strong>${finding.stage}</strong> stage, on
                    ${spanLink(spanOf(finding), finding.spanName)}
                  </p>
                  <p>${finding.explanation}</p>
                </li>`,
            )}
          </ol>`
    }
  </section>`;
}

function humanAge(seconds: number): string {
  if (seconds >= 3600) return `${Math.round((seconds / 3600) * 10) / 10} h`;
  if (seconds >= 60) return `${Math.round(seconds / 60)} min`;
  return `${seconds} s`;
}

function freshness(call: ToolCall): SafeHtml {
  if (!call.asOf) return html`–`;
  const stale =
    call.ageS !== undefined && call.freshnessBudgetS !== undefined && call.ageS > call.freshnessBudgetS;
  return html`${time(call.asOf)}${call.ageS !== undefined && html` (${humanAge(call.ageS)} old)`}
  ${
    stale &&
    html`<span class="badge badge-warn"
      ><span aria-hidden="true">⚠</span> stale: budget ${humanAge(call.freshnessBudgetS ?? 0)}</span
    >`
  }`;
}

function toolCallsSection(model: TraceModel, payloads: Payloads): SafeHtml {
  const calls = model.facts.toolCalls;
  return html`<section aria-labelledby="tools-title">
    <h2 id="tools-title">Tool calls (${calls.length})</h2>
    ${calls.length === 0 && html`<p>No tools were called.</p>`}
    ${calls.map(
      (call) =>
        html`<article class="${model.findingsBySpan.has(call.span.spanId) ? "card has-finding" : "card"}">
          <h3>${spanLink(call.span, call.tool)} ${outcomeBadge(call.outcome)}</h3>
          <dl class="facts">
            <div>
              <dt>Evidence id</dt>
              <dd class="mono">${call.evidenceId ?? "–"}</dd>
            </div>
            <div>
              <dt>HTTP status</dt>
              <dd>${call.httpStatus ?? "no response"}</dd>
            </div>
            <div>
              <dt>Retries</dt>
              <dd>${call.retries ?? "–"}</dd>
            </div>
            <div>
              <dt>Error type</dt>
              <dd>${call.errorType ?? "–"}</dd>
            </div>
            <div>
              <dt>Data as of</dt>
              <dd>${freshness(call)}</dd>
            </div>
          </dl>
          <p>Arguments: ${attributeValue(call.span.attributes[ATTR.toolArguments] ?? "–")}</p>
          ${call.missingFields.length > 0 && html`<p>Missing fields: <code>${call.missingFields.join(", ")}</code></p>`}
          <h4>Request and response</h4>
          ${payloadOf(payloads, call.span.spanId)}
        </article>`,
    )}
  </section>`;
}

function documentsSection(model: TraceModel): SafeHtml {
  const retrievals = model.facts.retrievals;
  return html`<section aria-labelledby="documents-title">
    <h2 id="documents-title">Retrieved documents</h2>
    ${retrievals.length === 0 && html`<p>Nothing was retrieved.</p>`}
    ${retrievals.map(
      (retrieval) =>
        html`<p>
            ${spanLink(retrieval.span)} from index snapshot <code>${retrieval.snapshotId ?? "unknown"}</code>
            ${retrieval.asOf && html`as of ${retrieval.asOf}`}
          </p>
          <div class="table-scroll">
            <table>
              ${tableHead([
                numericColumn("Rank"),
                "Document",
                numericColumn("Version"),
                numericColumn("Current version"),
                numericColumn("Score"),
              ])}
              <tbody>
                ${retrieval.documents.map((doc) => {
                  const stale =
                    doc.version !== undefined &&
                    doc.currentVersion !== undefined &&
                    doc.version < doc.currentVersion;
                  return html`<tr class="${stale ? "is-stale" : ""}">
                    <td class="num">${doc.rank}</td>
                    <td><code>${doc.id}</code>${doc.title && html` — ${doc.title}`}</td>
                    <td class="num">
                      ${doc.version ?? "–"}
                      ${stale && html`<span class="badge badge-warn"><span aria-hidden="true">⚠</span> stale</span>`}
                    </td>
                    <td class="num">${doc.currentVersion ?? "–"}</td>
                    <td class="num">${doc.score?.toFixed(1) ?? "–"}</td>
                  </tr>`;
                })}
              </tbody>
            </table>
          </div>`,
    )}
  </section>`;
}

/**
 * An analyst's comment is a raw payload: with governance on, the trace keeps none and the feedback
 * span hands it to the restricted tier. Feedback records and feedback spans are matched in order.
 */
function feedbackComment(model: TraceModel, payloads: Payloads, index: number): SafeHtml {
  const feedback = model.feedback[index];
  if (feedback?.comment) return html`<q>${feedback.comment}</q>`;
  if (payloads.access === "hidden") return html`<span class="hint">Comment: ${HIDDEN_PAYLOAD}</span>`;
  if (payloads.access === "not-stored") return html``;
  const spans = model.rows.filter((row) => row.span.attributes[ATTR.feedbackOutcome] !== undefined);
  const spanId = spans[index]?.span.spanId;
  const comment = spanId && text(payloads.bySpan[spanId]?.[RAW_PAYLOAD_ATTR.feedbackComment]);
  return comment ? html`<q>${comment}</q>` : html``;
}

function feedbackSection(model: TraceModel, payloads: Payloads): SafeHtml {
  const human = model.annotations.filter((annotation) => annotation.annotatorKind === "HUMAN");
  const spanName = (spanId: string | null) =>
    model.rows.find((row) => row.span.spanId === spanId)?.span.name ?? "the trace";
  return html`<section id="feedback" aria-labelledby="feedback-title">
    <h2 id="feedback-title">Feedback</h2>
    ${
      model.feedback.length === 0
        ? html`<p>No feedback yet.</p>`
        : html`<ul class="feedback-list">
            ${model.feedback.map(
              (feedback, index) =>
                html`<li>
                  <strong>${feedback.outcome}</strong> ${time(feedback.receivedAt)}
                  ${feedbackComment(model, payloads, index)}
                </li>`,
            )}
          </ul>`
    }
    ${human.map(
      (annotation) =>
        html`<p class="hint">
          Joined as annotation <code>${annotation.name}</code> =
          <strong>${annotation.label ?? "–"}</strong> on ${spanName(annotation.spanId)}
          (${annotation.annotatorKind}).
        </p>`,
    )}
    <form class="feedback-form" method="post" action="/traces/${model.traceId}/feedback">
      <label for="feedback-comment">Comment <span class="hint">(optional)</span></label>
      <textarea id="feedback-comment" name="comment" rows="3" maxlength="2000"></textarea>
      <div class="buttons">
        ${FEEDBACK_OUTCOMES.map(
          (outcome) =>
            html`<button type="submit" name="outcome" value="${outcome}">${BUTTON_LABELS[outcome]}</button>`,
        )}
      </div>
    </form>
  </section>`;
}

/** The span to show first: the one asked for, else where the wrong story entered, else the root. */
function selectedSpan(model: TraceModel, requested: string | undefined): SpanRecord {
  const byId = (id: string | undefined) => model.rows.find((row) => row.span.spanId === id)?.span;
  const firstBad = model.diagnosis.findings.find(
    (finding) => finding.stage === model.diagnosis.firstBadStage,
  );
  return byId(requested) ?? byId(firstBad?.spanId) ?? model.root;
}

/** `/traces/:id`: everything one trace says about its answer. */
export function tracePage(
  model: TraceModel,
  viewer: Viewer,
  payloads: Payloads,
  requested: string | undefined,
  whatIfChanges: readonly string[] = [],
) {
  const selected = selectedSpan(model, requested);
  return page(
    { title: `Trace ${model.traceId.slice(0, 12)}`, section: "traces", viewer },
    html`${summary(model, payloads)} ${diagnosisSection(model)}
      <div class="waterfall-and-detail">
        <section aria-labelledby="waterfall-title">
          <h2 id="waterfall-title">Waterfall</h2>
          ${waterfall(model, selected.spanId)}
        </section>
        ${spanDetail(model, selected, payloads)}
      </div>
      <div class="two-columns">${answerSection(model, payloads)} ${findingsSection(model)}</div>
      ${toolCallsSection(model, payloads)} ${documentsSection(model)}
      ${whatIfChanges.length > 0 && whatIfPanel(model.traceId, whatIfChanges)}
      ${feedbackSection(model, payloads)}`,
  );
}
