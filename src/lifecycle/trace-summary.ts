import type { Diagnosis } from "../diagnosis/index.ts";
import { readTrace } from "../trace/facts.ts";
import { modelUsage, requestFacts, rootOf, traceStatus } from "../trace/request.ts";
import type { SpanRecord } from "../store/trace-store.ts";
import type { TraceSummary } from "../store/summary-row.ts";

export function summarize(
  traceId: string,
  spans: readonly SpanRecord[],
  diagnosis: Diagnosis,
  feedbackOutcome: string | null,
): TraceSummary | undefined {
  const root = rootOf(spans);
  if (!root) return undefined;
  const facts = readTrace(spans);
  const citations = new Set(facts.syntheses.flatMap((synthesis) => synthesis.citations));
  return {
    traceId,
    rootSpanId: root.spanId,
    rootName: root.name,
    startNs: root.startNs,
    durationMs: Number(root.endNs - root.startNs) / 1e6,
    status: traceStatus(spans),
    ...requestFacts(root),
    ...modelUsage(spans),
    verdict: diagnosis.verdict,
    firstBadStage: diagnosis.firstBadStage,
    findings: diagnosis.findings.map((finding) => ({
      kind: finding.kind,
      stage: finding.stage,
      tool: finding.tool ?? null,
      claim: finding.claim ?? null,
    })),
    documents: facts.retrievals.flatMap((retrieval) =>
      retrieval.documents.map((doc) => ({
        docId: doc.id,
        version: doc.version,
        currentVersion: doc.currentVersion ?? null,
        kind: doc.kind ?? null,
        rank: doc.rank,
        cited: citations.has(doc.evidenceId),
      })),
    ),
    feedbackOutcome,
  };
}
