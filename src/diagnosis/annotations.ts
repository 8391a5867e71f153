import type { AnnotationRecord, SpanRecord } from "../store/trace-store.ts";
import { text } from "../trace/attribute-values.ts";
import { finding, isFindingKind, STAGES, type Diagnosis, type Finding } from "./finding.ts";

/**
 * Findings as Phoenix span annotations by CODE: name = kind; label = what the finding is about (the
 * claim kind or the tool), or its stage when it is about neither, so a reader can filter on it;
 * score = 0, a check that failed. The identifier (the upsert key beside span and name) is what the finding is about, the claim kind
 * or the tool, numbered from its second occurrence on a span ("#2"): diagnosing the same trace
 * again replaces the same annotations instead of adding copies.
 */
export function findingsToAnnotations(
  traceId: string,
  findings: Finding[],
  createdAt: string,
): AnnotationRecord[] {
  const occurrences = new Map<string, number>();
  return findings.map((finding) => {
    const subject = finding.claim ?? finding.tool ?? "";
    const slot = `${finding.spanId} ${finding.kind} ${subject}`;
    const occurrence = (occurrences.get(slot) ?? 0) + 1;
    occurrences.set(slot, occurrence);
    return {
      traceId,
      spanId: finding.spanId,
      name: finding.kind,
      annotatorKind: "CODE",
      label: finding.claim ?? finding.tool ?? finding.stage,
      score: 0,
      explanation: finding.explanation,
      identifier: occurrence === 1 ? subject : `${subject}#${occurrence}`,
      metadata: {
        stage: finding.stage,
        ...(finding.tool !== undefined && { tool: finding.tool }),
        ...(finding.claim !== undefined && { claim: finding.claim }),
      },
      createdAt,
    };
  });
}

/**
 * The trace's verdict as a CODE annotation on its root span: label `supported` or `unsupported`
 * (score 1 or 0), the first bad stage in the explanation, so Phoenix can filter traces by it.
 */
export function verdictAnnotation(
  traceId: string,
  rootSpanId: string,
  diagnosis: Diagnosis,
  createdAt: string,
): AnnotationRecord {
  const supported = diagnosis.verdict === "supported";
  return {
    traceId,
    spanId: rootSpanId,
    name: "verdict",
    annotatorKind: "CODE",
    label: diagnosis.verdict,
    score: supported ? 1 : 0,
    explanation: `${diagnosis.findings.length} finding(s); first bad stage: ${diagnosis.firstBadStage}.`,
    identifier: "",
    metadata: { first_bad_stage: diagnosis.firstBadStage, findings: diagnosis.findings.length },
    createdAt,
  };
}

/** The findings stored as CODE annotations, back in pipeline order; other annotations are ignored. */
export function annotationsToFindings(
  annotations: readonly AnnotationRecord[],
  spans: readonly SpanRecord[],
): Finding[] {
  const spansById = new Map(spans.map((span) => [span.spanId, span]));
  const findings = annotations.flatMap(({ annotatorKind, spanId, name, explanation, metadata }) => {
    if (annotatorKind !== "CODE" || spanId === null || !isFindingKind(name)) return [];
    const span = { spanId, name: spansById.get(spanId)?.name ?? "" };
    return [
      finding(name, span, explanation ?? "", { tool: text(metadata.tool), claim: text(metadata.claim) }),
    ];
  });
  const stageRank = (f: Finding) => STAGES.indexOf(f.stage);
  const start = (f: Finding) => spansById.get(f.spanId)?.startNs ?? 0n;
  // Array.sort is stable: findings on one span keep their stored (check) order.
  return findings.sort((a, b) => stageRank(a) - stageRank(b) || Number(start(a) - start(b)));
}
