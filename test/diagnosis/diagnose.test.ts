import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SemanticConventions as SC } from "@arizeai/openinference-semantic-conventions";
import { ATTR } from "../../src/contracts/semconv.ts";
import { diagnose } from "../../src/diagnosis/index.ts";
import type { SpanRecord } from "../../src/store/trace-store.ts";
import { healthyTrace, MDM_EVIDENCE, REVOKE_EVIDENCE, span } from "../helpers/trace-builder.ts";

const healthy = { verdict: "supported", firstBadStage: "none", findings: [] };

/** A trace the assistant stored for a healthy run, bigints written as strings. */
function storedHealthyTrace(): SpanRecord[] {
  const url = new URL("fixtures/healthy-trace.json", import.meta.url);
  const spans = JSON.parse(readFileSync(url, "utf8")) as (SpanRecord & { startNs: string; endNs: string })[];
  return spans.map((each) => ({ ...each, startNs: BigInt(each.startNs), endNs: BigInt(each.endNs) }));
}

describe("diagnose", () => {
  it("finds nothing wrong in a trace the assistant stored for a healthy run", () => {
    expect(diagnose(storedHealthyTrace())).toEqual(healthy);
  });

  it("reads a stored trace whatever order its spans come in", () => {
    const spans = storedHealthyTrace().reverse();
    expect(diagnose(spans)).toEqual(healthy);
  });

  it("tolerates missing stages and attributes", () => {
    expect(diagnose([])).toEqual(healthy);
    expect(
      diagnose(
        healthyTrace().without("route").without("retrieve").without("tools").without("synthesize").build(),
      ),
    ).toEqual(healthy);
    const bare = ["AGENT", "CHAIN", "RETRIEVER", "TOOL", "LLM"].map((kind) => span(kind, kind, {}));
    expect(diagnose(bare)).toEqual(healthy);
  });

  it("tolerates malformed answer and document attributes", () => {
    const doc = `${SC.RETRIEVAL_DOCUMENTS}.0.`;
    const spans = [
      span("retrieve", "RETRIEVER", { [doc + SC.DOCUMENT_ID]: "x", [doc + SC.DOCUMENT_METADATA]: "{" }),
      span("synthesize", "CHAIN", { [ATTR.answerClaims]: "not json", [ATTR.answerCitations]: 7 }),
    ];
    expect(diagnose(spans)).toEqual(healthy);
  });

  it("orders findings by stage, whatever the span order", () => {
    const spans = healthyTrace()
      .route({ name: "fast" })
      .docs({ id: "device-policy", kind: "policy", version: 1, currentVersion: 2 })
      .mdm({ ageS: 26 * 3600 })
      .revoke({ outcome: "error", httpStatus: 403, errorType: "insufficient_scope", facts: {} })
      .answer({ citations: [MDM_EVIDENCE, REVOKE_EVIDENCE] })
      .build()
      .reverse();
    expect(diagnose(spans).findings.map((f) => [f.stage, f.kind, f.claim ?? f.tool])).toEqual([
      ["route", "route_downgrade", undefined],
      ["retrieve", "stale_retrieval", undefined],
      ["tool", "stale_tool_data", "mdm_lookup_device"],
      ["tool", "tool_error", "revoke_sessions"],
      ["synthesize", "claim_on_stale_evidence", "device_encrypted"],
      ["synthesize", "claim_contradicts_tool", "sessions_revoked"],
      ["synthesize", "policy_not_cited", undefined],
    ]);
  });

  it("tells the story of the stolen laptop: stale snapshot and a 403 together", () => {
    const spans = healthyTrace()
      .mdm({ ageS: 26 * 3600 })
      .revoke({ outcome: "error", httpStatus: 403, errorType: "insufficient_scope", facts: {} })
      .build();
    const diagnosis = diagnose(spans);
    expect(diagnosis).toMatchObject({ verdict: "unsupported", firstBadStage: "tool" });
    expect(diagnosis.findings.map((f) => f.kind)).toEqual([
      "stale_tool_data",
      "tool_error",
      "claim_on_stale_evidence",
      "claim_contradicts_tool",
    ]);
  });

  it("leaves policy_not_cited out of the first bad stage", () => {
    const spans = healthyTrace()
      .answer({ citations: [MDM_EVIDENCE, REVOKE_EVIDENCE] })
      .build();
    expect(diagnose(spans)).toMatchObject({ verdict: "supported", firstBadStage: "none" });
  });

  it("names the synthesize stage when only the answer went wrong", () => {
    const spans = healthyTrace()
      .answer({ claims: [{ kind: "account_disabled", evidence: [REVOKE_EVIDENCE] }] })
      .build();
    expect(diagnose(spans)).toMatchObject({ verdict: "unsupported", firstBadStage: "synthesize" });
  });

  it("points each finding at its span", () => {
    const spans = healthyTrace()
      .revoke({ outcome: "error", httpStatus: 403, errorType: "insufficient_scope" })
      .build();
    const revokeSpan = spans.find((each) => each.name === "execute_tool revoke_sessions");
    const synthesizeSpan = spans.find((each) => each.name === "synthesize");
    expect(diagnose(spans).findings.map((f) => [f.spanId, f.spanName])).toEqual([
      [revokeSpan?.spanId, "execute_tool revoke_sessions"],
      [synthesizeSpan?.spanId, "synthesize"],
    ]);
  });
});

describe("an answer with nothing behind it", () => {
  // A phishing report: no tool to call, so the answer can rest only on the runbooks it cites.
  const phishing = () => healthyTrace().without("tools").docs({ id: "phishing" });

  it("is flagged when it makes no claim, cites nothing and has no caveat", () => {
    const diagnosis = diagnose(phishing().answer({ claims: [], caveats: [], citations: [] }).build());
    expect(diagnosis.findings.map((finding) => [finding.kind, finding.stage])).toEqual([
      ["answer_without_evidence", "synthesize"],
    ]);
    // The verdict rule is unchanged (claim findings only); the stage shows where it went wrong.
    expect(diagnosis).toMatchObject({ verdict: "supported", firstBadStage: "synthesize" });
  });

  it("is not flagged when it cites a runbook, or says why it cannot answer", () => {
    const cited = phishing().answer({ claims: [], caveats: [], citations: ["doc:phishing@1"] });
    expect(diagnose(cited.build()).findings).toEqual([]);
    const caveat = { kind: "unverified", evidence: [] };
    const declined = phishing().answer({ claims: [], caveats: [caveat], citations: [] });
    expect(diagnose(declined.build()).findings).toEqual([]);
  });
});
