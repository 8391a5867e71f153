import { describe, expect, it } from "vitest";
import {
  annotationsToFindings,
  diagnose,
  findingsToAnnotations,
  verdictAnnotation,
} from "../../src/diagnosis/index.ts";
import type { AnnotationRecord } from "../../src/store/trace-store.ts";
import { healthyTrace, MDM_EVIDENCE, REVOKE_EVIDENCE } from "../helpers/trace-builder.ts";

const CREATED_AT = "2026-11-27T17:12:00.000Z";

/** A trace with a finding at every stage, two of one kind on one span among them. */
const troubledTrace = () =>
  healthyTrace()
    .route({ name: "fast" })
    .docs(
      { id: "device-policy", kind: "policy", version: 1, currentVersion: 2 },
      { id: "stolen-device", version: 1, currentVersion: 2 },
    )
    .mdm({ ageS: 26 * 3600 })
    .revoke({ outcome: "error", httpStatus: 403, errorType: "insufficient_scope", facts: {} })
    .answer({ citations: [MDM_EVIDENCE, REVOKE_EVIDENCE] })
    .build();

describe("findingsToAnnotations", () => {
  it("writes Phoenix span annotations by CODE", () => {
    const spans = healthyTrace()
      .revoke({ outcome: "error", httpStatus: 403, errorType: "insufficient_scope" })
      .build();
    const [toolError] = findingsToAnnotations("trace-1", diagnose(spans).findings, CREATED_AT);
    expect(toolError).toEqual({
      traceId: "trace-1",
      spanId: spans.find((each) => each.name === "execute_tool revoke_sessions")?.spanId,
      name: "tool_error",
      annotatorKind: "CODE",
      label: "revoke_sessions",
      score: 0,
      explanation: "revoke_sessions failed with HTTP 403 insufficient_scope after 0 retries.",
      identifier: "revoke_sessions",
      metadata: { stage: "tool", tool: "revoke_sessions" },
      createdAt: CREATED_AT,
    });
  });

  it("keeps several findings of one kind on one span apart", () => {
    const annotations = findingsToAnnotations("trace-1", diagnose(troubledTrace()).findings, CREATED_AT);
    const keys = annotations.map((a) => `${a.spanId} ${a.name} ${a.identifier}`);
    expect(new Set(keys).size).toBe(annotations.length);
    expect(annotations.filter((a) => a.name === "stale_retrieval").map((a) => a.identifier)).toEqual([
      "",
      "#2",
    ]);
    expect(annotations.find((a) => a.name === "claim_contradicts_tool")?.identifier).toBe("sessions_revoked");
  });
});

describe("verdictAnnotation", () => {
  it("labels the root span with the verdict Phoenix can filter on", () => {
    const spans = troubledTrace();
    const annotation = verdictAnnotation("trace-1", "root-span", diagnose(spans), CREATED_AT);
    expect(annotation).toMatchObject({
      spanId: "root-span",
      name: "verdict",
      annotatorKind: "CODE",
      label: "unsupported",
      score: 0,
      metadata: { first_bad_stage: "route" },
    });
    expect(
      verdictAnnotation("trace-1", "root-span", diagnose(healthyTrace().build()), CREATED_AT),
    ).toMatchObject({
      label: "supported",
      score: 1,
    });
  });
});

describe("annotationsToFindings", () => {
  it("rebuilds the findings the annotations were made from", () => {
    const spans = troubledTrace();
    const { findings } = diagnose(spans);
    const annotations = findingsToAnnotations("trace-1", findings, CREATED_AT);
    expect(annotationsToFindings(annotations, spans)).toEqual(findings);
  });

  it("restores pipeline order and ignores other annotations", () => {
    const spans = troubledTrace();
    const { findings } = diagnose(spans);
    const feedback: AnnotationRecord = {
      traceId: "trace-1",
      spanId: spans[0]?.spanId ?? null,
      name: "analyst_feedback",
      annotatorKind: "HUMAN",
      label: "escalated",
      score: 0,
      explanation: null,
      identifier: "",
      metadata: {},
      createdAt: CREATED_AT,
    };
    // The route finding stored last, as when a later diagnosis adds it.
    const [route, ...rest] = findingsToAnnotations("trace-1", findings, CREATED_AT);
    const stored = [feedback, ...rest, ...(route ? [route] : [])];
    expect(annotationsToFindings(stored, spans).map((f) => f.kind)).toEqual(findings.map((f) => f.kind));
  });
});
