import { listTraces, type TraceListItem } from "../store/queries.ts";
import type { SpanRecord, TraceStore } from "../store/trace-store.ts";
import { readTrace } from "../trace/facts.ts";
import { rootOf } from "../trace/request.ts";
import { STAGES, type Diagnosis } from "../diagnosis/index.ts";
import type { Stage } from "../contracts/semconv.ts";
import { percentile, spanMs } from "../shared/measures.ts";
import { html, type SafeHtml } from "./html.ts";
import { findingsOf, stagesOf } from "./trace-model.ts";
import { toLocalInput, type RawQuery } from "./filters.ts";

/** Pages over a period read every span of every trace in it: bounded, newest first. */
const PERIOD_LIMIT = 500;

export interface PeriodTrace {
  item: TraceListItem;
  root: SpanRecord;
  spans: SpanRecord[];
  stages: Map<string, Stage>;
  diagnosis: Diagnosis;
}

export interface Period {
  traces: PeriodTrace[];
  /** True when the period holds more traces than PERIOD_LIMIT and only the newest were read. */
  truncated: boolean;
}

export async function readPeriod(store: TraceStore, range: { from?: string; to?: string }): Promise<Period> {
  const list = await listTraces(store, { ...range, limit: PERIOD_LIMIT });
  const traces: PeriodTrace[] = [];
  for (const item of list.traces) {
    const [spans, annotations] = await Promise.all([
      store.spansOf(item.trace_id),
      store.annotationsOf(item.trace_id),
    ]);
    const root = rootOf(spans);
    if (!root) continue; // deleted by retention since it was listed
    traces.push({
      item,
      root,
      spans,
      stages: stagesOf(readTrace(spans)),
      diagnosis: findingsOf(annotations, spans),
    });
  }
  return { truncated: list.next_cursor !== null, traces };
}

export interface Distribution {
  count: number;
  errors: number;
  p50: number | null;
  p95: number | null;
  total: number;
}

export function distribution(spans: readonly SpanRecord[]): Distribution {
  const durations = spans.map(spanMs).sort((a, b) => a - b);
  return {
    count: spans.length,
    errors: spans.filter((span) => span.statusCode === "ERROR").length,
    p50: percentile(durations, 50),
    p95: percentile(durations, 95),
    total: durations.reduce((sum, value) => sum + value, 0),
  };
}

/** The stage spans of every trace in the period, by stage, in pipeline order. */
export function stageSpans(period: Period): Map<Stage, SpanRecord[]> {
  const byStage = new Map<Stage, SpanRecord[]>(STAGES.map((stage) => [stage, []]));
  for (const trace of period.traces) {
    for (const span of trace.spans) {
      const stage = trace.stages.get(span.spanId);
      if (stage) byStage.get(stage)?.push(span);
    }
  }
  return byStage;
}

/** What the period covers, in words, and a form to choose another. */
export function periodForm(action: string, raw: RawQuery, period: Period | undefined): SafeHtml {
  const count = period?.traces.length ?? 0;
  return html`<form class="filters period" method="get" action="${action}" aria-label="Period">
      <div class="field">
        <label for="period-from">From <span class="hint">(UTC)</span></label>
        <input
          id="period-from"
          name="from"
          type="datetime-local"
          step="1"
          value="${toLocalInput(raw.from)}"
        />
      </div>
      <div class="field">
        <label for="period-to">To <span class="hint">(UTC)</span></label>
        <input id="period-to" name="to" type="datetime-local" step="1" value="${toLocalInput(raw.to)}" />
      </div>
      <div class="filter-actions">
        <button type="submit">Show period</button>
        <a href="${action}">All traces</a>
      </div>
    </form>
    ${
      period &&
      html`<p role="status">
        ${raw.from || raw.to ? "Traces in this period" : "Every trace in the store"}:
        ${count}${period.truncated && html` (the newest ${PERIOD_LIMIT}; narrow the period to see the rest)`}.
      </p>`
    }`;
}
