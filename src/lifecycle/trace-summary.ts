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
      // A document without a version cannot be cited or dated: the named queries leave it out.
      retrieval.documents.flatMap(({ id, version, currentVersion, kind, rank, evidenceId }) =>
        version === undefined || evidenceId === undefined
          ? []
          : [
              {
                docId: id,
                version,
                currentVersion: currentVersion ?? null,
                kind: kind ?? null,
                rank,
                cited: citations.has(evidenceId),
              },
            ],
      ),
    ),
    feedbackOutcome,
    spanCount: spans.length,
  };
}
