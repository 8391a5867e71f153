import type { SpanRecord } from "../store/trace-store.ts";
import { claimFindings } from "./claims.ts";
import {
  answerWithoutEvidence,
  policyNotCited,
  routeDowngrade,
  staleRetrieval,
  staleToolData,
  toolError,
  toolPartial,
} from "./checks.ts";
import { diagnosisOf, type Diagnosis } from "./finding.ts";
import { readTrace } from "../trace/facts.ts";

export type { Stage } from "../contracts/semconv.ts";
export { diagnosisOf, STAGE_OF, STAGES, type Diagnosis, type Finding, type FindingKind } from "./finding.ts";
export { annotationsToFindings, findingsToAnnotations, verdictAnnotation } from "./annotations.ts";
export { storyOf } from "./story.ts";
export { DIAGNOSIS_LEGEND } from "./legend.ts";

/**
 * Where the wrong story entered one trace: pure checks over the stored spans, using only what the
 * trace holds. Findings come in pipeline order (route, retrieve, tool, synthesize), by span start
 * within a stage, then in check order. Missing stages or attributes are skipped, never thrown on.
 */
export function diagnose(spans: readonly SpanRecord[]): Diagnosis {
  const trace = readTrace(spans);
  return diagnosisOf([
    ...trace.routes.flatMap(routeDowngrade),
    ...trace.retrievals.flatMap(staleRetrieval),
    ...trace.toolCalls.flatMap((call) => [...toolError(call), ...toolPartial(call), ...staleToolData(call)]),
    ...trace.syntheses.flatMap((synthesis) => [
      ...claimFindings(synthesis, trace),
      ...answerWithoutEvidence(synthesis),
      ...policyNotCited(synthesis, trace),
    ]),
  ]);
}
