import { diagnose } from "../../src/diagnosis/index.ts";
import { isSafeAttribute } from "../../src/governance/attribute-policy.ts";
import type { SpanRecord, TraceStore } from "../../src/store/trace-store.ts";
import { summarize } from "../../src/lifecycle/trace-summary.ts";
import type { TraceSummary } from "../../src/store/summary-row.ts";
import { generateTraces } from "./generate.ts";

/** Spans per write while filling: large enough that commits cost little. */
const SPANS_PER_TRANSACTION = 4096;

/**
 * Fills `store` with `count` generated traces as the trace store keeps them (the always-kept tier:
 * raw prompts, payloads and answers live in the restricted store, SPEC section 7) and the summary
 * rows the assistant writes for them (its own diagnosis and summary code), a few thousand spans at a time.
 */
export async function fillStore(
  store: TraceStore,
  count: number,
  seed: number,
  onProgress: (traces: number) => void = () => {},
): Promise<{ traces: number; spans: number }> {
  let spans: SpanRecord[] = [];
  let summaries: TraceSummary[] = [];
  let traces = 0;
  let spanCount = 0;
  const flush = async () => {
    await store.addSpans(spans);
    for (const summary of summaries) await store.upsertSummary(summary, []);
    onProgress(traces);
    spans = [];
    summaries = [];
  };
  for (const trace of generateTraces({ count, seed })) {
    const kept = trace.spans.map(keptTier);
    const summary = summarize(trace.traceId, kept, diagnose(kept), trace.feedbackOutcome);
    if (summary) summaries.push(summary);
    spans.push(...kept);
    traces += 1;
    spanCount += kept.length;
    if (spans.length >= SPANS_PER_TRANSACTION) await flush();
  }
  if (spans.length > 0) await flush();
  return { traces, spans: spanCount };
}

function keptTier(span: SpanRecord): SpanRecord {
  const attributes = Object.entries(span.attributes).filter(([key]) => isSafeAttribute(key));
  return { ...span, attributes: Object.fromEntries(attributes) };
}
