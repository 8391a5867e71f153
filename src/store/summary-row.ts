import type { Stage } from "../contracts/semconv.ts";
import type { Verdict } from "../contracts/vocabulary.ts";

/** One row per trace: what the listing filters and the named queries read, so they never scan spans. */
export interface TraceSummary {
  traceId: string;
  rootSpanId: string;
  rootName: string;
  startNs: bigint;
  durationMs: number;
  /** ERROR when a pipeline stage (an OpenInference span) failed; a retried HTTP attempt is not a failure. */
  status: "OK" | "ERROR";
  sessionId: string | null;
  userId: string | null;
  category: string | null;
  severity: string | null;
  route: string | null;
  model: string | null;
  routingPolicy: string | null;
  promptVersion: string | null;
  experimentId: string | null;
  experimentArm: string | null;
  tokens: number;
  costUsd: number;
  verdict: Verdict;
  firstBadStage: Stage | "none";
  findings: { kind: string; stage: string; tool: string | null; claim: string | null }[];
  documents: {
    docId: string;
    version: number;
    currentVersion: number | null;
    kind: string | null;
    rank: number;
    cited: boolean;
  }[];
  feedbackOutcome: string | null;
  /** The spans it was made from: more stored since means it is out of date. */
  spanCount: number;
}
