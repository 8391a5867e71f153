import {
  OpenInferenceSpanKind,
  SemanticConventions as SC,
} from "@arizeai/openinference-semantic-conventions";
import type { FeedbackRecord, TraceStore } from "../store/trace-store.ts";
import { addSpanToStoredTrace } from "../instrumentation/tracing.ts";
import { ATTR, RAW_PAYLOAD_ATTR } from "../contracts/semconv.ts";
import type { Governance } from "../governance/runtime.ts";

/**
 * Joins an analyst's verdict to the trace it is about: a stored HUMAN annotation on the root span,
 * and a `feedback` span in the same trace, under the root and linked to it, however late it comes.
 */
export async function recordFeedback(
  store: TraceStore,
  governance: Governance,
  feedback: Omit<FeedbackRecord, "receivedAt">,
  receivedAt = new Date(),
) {
  const root = await store.rootOf(feedback.traceId);
  if (!root) throw new Error(`no root span for trace ${feedback.traceId}`);
  const delayS = Math.max(0, Math.round((receivedAt.getTime() - Number(root.endNs / 1_000_000n)) / 1000));
  addSpanToStoredTrace(
    "feedback",
    root,
    { to: root, reason: "feedback_on" },
    {
      [SC.OPENINFERENCE_SPAN_KIND]: OpenInferenceSpanKind.EVALUATOR,
      [ATTR.feedbackOutcome]: feedback.outcome,
      [ATTR.feedbackDelayS]: delayS,
      // A raw payload: governance moves it to the restricted tier.
      ...(feedback.comment && { [RAW_PAYLOAD_ATTR.feedbackComment]: feedback.comment }),
    },
  );

  // Free text from an analyst is a raw payload: the span hands it to the restricted tier, and the
  // always-kept tier stores no comment at all (a name in prose cannot be reliably pseudonymized).
  const comment = governance.enabled ? null : feedback.comment;
  await store.addFeedback({ ...feedback, comment, receivedAt: receivedAt.toISOString() });
  await store.setFeedbackOutcome(feedback.traceId, feedback.outcome);
  if (feedback.outcome === "escalated" && governance.enabled && governance.tiers.promote(feedback.traceId)) {
    await store.setSampling(feedback.traceId, "kept", "escalated");
    await governance.tiers.written();
  }
  await store.upsertAnnotation({
    traceId: feedback.traceId,
    spanId: root.spanId,
    name: "analyst_feedback",
    annotatorKind: "HUMAN",
    label: feedback.outcome,
    score: feedback.outcome === "confirmed" ? 1 : 0,
    explanation: comment,
    identifier: "",
    metadata: { delay_s: delayS },
    createdAt: receivedAt.toISOString(),
  });
}
