import type { SpanRecord } from "../store/trace-store.ts";
import { html, type SafeHtml } from "./html.ts";
import { errorBadge, findingBadge } from "./badges.ts";
import { ms } from "./format.ts";
import { spanMs } from "../shared/measures.ts";
import type { TraceModel } from "./trace-model.ts";

/**
 * Okabe–Ito colours, told apart with the common colour-vision deficiencies; every bar also has a
 * dark outline (contrast against the page) and its service written beside it.
 */
const SERVICE_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"];
const OTHER_SERVICE_COLOUR = "#999999";

/** Bars are drawn in a 1000-unit-wide box that stretches to the column. */
const WIDTH = 1000;
const TICKS = [0, 0.25, 0.5, 0.75, 1];

/** Services in the order they first appear, the root's first, so a trace always gets the same colours. */
function serviceColours(model: TraceModel): Map<string, string> {
  const services = [...new Set(model.rows.map((row) => row.span.service))];
  return new Map(services.map((service, index) => [service, SERVICE_COLOURS[index] ?? OTHER_SERVICE_COLOUR]));
}

/**
 * The time axis spans the request: from the first span to the last one that started while the
 * request ran. Spans that start later (feedback arrives minutes after the answer) would squash the
 * request into a sliver, so they are drawn at the axis' end and labelled with how much later they came.
 */
function axisOf(model: TraceModel) {
  const start = model.rows.reduce(
    (min, { span }) => (span.startNs < min ? span.startNs : min),
    model.root.startNs,
  );
  const during = model.rows.filter(({ span }) => span.startNs <= model.root.endNs);
  const end = during.reduce((max, { span }) => (span.endNs > max ? span.endNs : max), model.root.endNs);
  return { start, end, totalMs: Math.max(Number(end - start) / 1e6, 0.001) };
}

function later(ms: number): string {
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  if (ms >= 1_000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.round(ms)} ms`;
}

interface Placement {
  x: number;
  width: number;
  label: string;
  /** How long after the request a late span started, in words. */
  lateBy: string | undefined;
}

function place(span: SpanRecord, axis: ReturnType<typeof axisOf>): Placement {
  if (span.startNs > axis.end) {
    const lateBy = later(Number(span.startNs - axis.end) / 1e6);
    return { x: WIDTH - 6, width: 6, label: `starts ${lateBy} after the request ended`, lateBy };
  }
  const offsetMs = Number(span.startNs - axis.start) / 1e6;
  // At least a few units wide, so an instant span still shows.
  const width = Math.max((spanMs(span) / axis.totalMs) * WIDTH, 3);
  const x = Math.min((offsetMs / axis.totalMs) * WIDTH, WIDTH - width);
  return { x, width, label: `starts at ${ms(offsetMs)}, lasts ${ms(spanMs(span))}`, lateBy: undefined };
}

function bar(span: SpanRecord, { x, width, label }: Placement, colour: string): SafeHtml {
  return html`<svg
    class="span-bar"
    viewBox="0 0 ${WIDTH} 24"
    preserveAspectRatio="none"
    role="img"
    aria-label="${label}"
  >
    <title>${label}</title>
    ${TICKS.map(
      (tick) =>
        html`<line
          x1="${tick * WIDTH}"
          x2="${tick * WIDTH}"
          y1="0"
          y2="24"
          class="gridline"
          vector-effect="non-scaling-stroke"
        />`,
    )}
    <rect
      x="${x.toFixed(1)}"
      y="5"
      width="${width.toFixed(1)}"
      height="14"
      fill="${colour}"
      class="${span.statusCode === "ERROR" ? "bar bar-error" : "bar"}"
      vector-effect="non-scaling-stroke"
    />
  </svg>`;
}

function legend(colours: Map<string, string>): SafeHtml {
  return html`<ul class="legend" aria-label="Legend">
    ${[...colours].map(
      ([service, colour]) =>
        html`<li>
          <svg class="swatch" viewBox="0 0 14 14" aria-hidden="true">
            <rect x="0.5" y="0.5" width="13" height="13" fill="${colour}" />
          </svg>
          ${service}
        </li>`,
    )}
    <li>${findingBadge("kind")} a check fired on this span</li>
    <li>${errorBadge()} span status ERROR</li>
  </ul>`;
}

/**
 * One row per span, indented by depth: the name, service and duration as text, the bar on the
 * shared time axis. Each row is a link that selects the span (`?span=`), so it works without script.
 */
export function waterfall(model: TraceModel, selected: string | undefined): SafeHtml {
  const axis = axisOf(model);
  const colours = serviceColours(model);
  return html`<div class="waterfall">
    ${legend(colours)}
    <div class="waterfall-axis" aria-hidden="true">
      <span>Span</span>
      <span class="ticks">${TICKS.map((tick) => html`<span>${ms(tick * axis.totalMs)}</span>`)}</span>
    </div>
    <ol class="span-rows" aria-label="Spans of this trace">
      ${model.rows.map(({ span, depth }) => {
        const findings = model.findingsBySpan.get(span.spanId) ?? [];
        const placement = place(span, axis);
        const classes = [
          "span-row",
          findings.length > 0 && "has-finding",
          span.statusCode === "ERROR" && "is-error",
        ].filter(Boolean);
        return html`<li class="${classes.join(" ")}" data-span-id="${span.spanId}">
          <a
            class="span-link depth-${Math.min(depth, 8)}"
            href="?span=${span.spanId}#span-detail"
            ${span.spanId === selected && html`aria-current="true"`}
          >
            <span class="span-text">
              <span class="span-name">${span.name}</span>
              <span class="span-meta"
                >${span.service} · ${span.oiKind ?? span.spanKind} ·
                ${ms(spanMs(span))}${placement.lateBy && ` · ${placement.lateBy} after the request`}</span
              >
              ${
                (span.statusCode === "ERROR" || findings.length > 0) &&
                html`<span class="span-flags"
                  >${span.statusCode === "ERROR" && errorBadge()}
                  ${[...new Set(findings.map((finding) => finding.kind))].map(findingBadge)}</span
                >`
              }
            </span>
            ${bar(span, placement, colours.get(span.service) ?? OTHER_SERVICE_COLOUR)}
          </a>
        </li>`;
      })}
    </ol>
  </div>`;
}
