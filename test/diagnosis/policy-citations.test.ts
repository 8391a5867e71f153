import { describe, expect, it } from "vitest";
import { diagnose } from "../../src/diagnosis/index.ts";
import { readTrace } from "../../src/trace/facts.ts";
import { healthyTrace, MDM_EVIDENCE, POLICY_EVIDENCE, REVOKE_EVIDENCE } from "../helpers/trace-builder.ts";

describe("policy_not_cited", () => {
  const policyAt = (rank: number) => ({
    id: "device-policy",
    version: 2,
    kind: "policy" as const,
    rank,
    title: "Lost or stolen device policy",
  });
  const toolsOnly = { citations: [MDM_EVIDENCE, REVOKE_EVIDENCE] };

  it("fires for an uncited policy at rank 2, without making the trace bad", () => {
    const spans = healthyTrace().docs({ id: "stolen-device" }, policyAt(2)).answer(toolsOnly).build();
    const diagnosis = diagnose(spans);
    expect(diagnosis.findings).toEqual([
      expect.objectContaining({ kind: "policy_not_cited", stage: "synthesize", spanName: "synthesize" }),
    ]);
    expect(diagnosis.findings[0]?.explanation).toBe(
      "The answer does not cite doc:device-policy@2 (Lost or stolen device policy), a policy retrieved at rank 2.",
    );
    expect(diagnosis).toMatchObject({ verdict: "supported", firstBadStage: "none" });
  });

  it("does not fire for an uncited policy at rank 4", () => {
    const spans = healthyTrace()
      .docs({ id: "a" }, { id: "b" }, { id: "c" }, policyAt(4))
      .answer(toolsOnly)
      .build();
    expect(diagnose(spans).findings).toEqual([]);
  });

  it("does not fire when the policy is cited", () => {
    const spans = healthyTrace()
      .docs(policyAt(1))
      .answer({ citations: [POLICY_EVIDENCE] })
      .build();
    expect(diagnose(spans).findings).toEqual([]);
  });

  it("does not fire for an uncited runbook", () => {
    const spans = healthyTrace().docs({ id: "stolen-device", rank: 1 }).answer(toolsOnly).build();
    expect(diagnose(spans).findings).toEqual([]);
  });

  it("reads a policy retrieved without a version, but neither cites nor dates it", () => {
    const spans = healthyTrace()
      .docs({ ...policyAt(1), version: undefined })
      .answer(toolsOnly)
      .build();
    const [retrieval] = readTrace(spans).retrievals;
    expect(retrieval?.documents).toEqual([
      expect.objectContaining({ id: "device-policy", version: undefined, evidenceId: undefined }),
    ]);
    expect(diagnose(spans).findings).toEqual([]);
  });
});
