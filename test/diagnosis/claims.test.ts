import { describe, expect, it } from "vitest";
import { diagnose } from "../../src/diagnosis/index.ts";
import type { SpanRecord } from "../../src/store/trace-store.ts";
import { healthyTrace, MDM_EVIDENCE, POLICY_EVIDENCE, REVOKE_EVIDENCE } from "../helpers/trace-builder.ts";

/** The claim findings only, as {kind, claim, tool}. */
const claimFindingsOf = (spans: SpanRecord[]) =>
  diagnose(spans)
    .findings.filter((f) => f.kind.startsWith("claim_"))
    .map(({ kind, claim, tool }) => ({ kind, claim, tool }));

const revoke403 = { outcome: "error", httpStatus: 403, errorType: "insufficient_scope", facts: {} } as const;
const claim = (kind: string, ...evidence: string[]) => ({ kind, evidence });

describe("claims backed by the trace", () => {
  it("accepts the healthy answer", () => {
    expect(diagnose(healthyTrace().build())).toEqual({
      verdict: "supported",
      firstBadStage: "none",
      findings: [],
    });
  });

  it("accepts sessions_not_revoked when the revocation failed", () => {
    const spans = healthyTrace()
      .revoke(revoke403)
      .answer({ claims: [claim("sessions_not_revoked", REVOKE_EVIDENCE)] })
      .build();
    expect(claimFindingsOf(spans)).toEqual([]);
    expect(diagnose(spans)).toMatchObject({ verdict: "supported", firstBadStage: "tool" });
  });

  it("accepts device facts the MDM record states", () => {
    const spans = healthyTrace()
      .mdm({ facts: { "device.encrypted": false, "device.locked": true, "device.wiped": true } })
      .answer({
        claims: [
          claim("device_not_encrypted", MDM_EVIDENCE),
          claim("device_locked", MDM_EVIDENCE),
          claim("device_wiped", MDM_EVIDENCE),
        ],
      })
      .build();
    expect(claimFindingsOf(spans)).toEqual([]);
  });
});

describe("claim_contradicts_tool", () => {
  it("fires for sessions_revoked after a 403, beside the tool_error", () => {
    const spans = healthyTrace().revoke(revoke403).build();
    const diagnosis = diagnose(spans);
    expect(diagnosis.findings.map(({ kind, tool, claim }) => ({ kind, tool, claim }))).toEqual([
      { kind: "tool_error", tool: "revoke_sessions", claim: undefined },
      { kind: "claim_contradicts_tool", tool: "revoke_sessions", claim: "sessions_revoked" },
    ]);
    expect(diagnosis.findings[1]?.explanation).toBe(
      "The answer claims sessions_revoked, but revoke_sessions returned HTTP 403 insufficient_scope.",
    );
    expect(diagnosis).toMatchObject({ verdict: "unsupported", firstBadStage: "tool" });
  });

  it("does not fire for sessions_revoked when another revocation succeeded", () => {
    const spans = healthyTrace()
      .addTool({ name: "revoke_sessions", callId: "call_second", ...revoke403 })
      .build();
    expect(claimFindingsOf(spans)).toEqual([]);
  });

  it("fires for sessions_not_revoked when the revocation succeeded", () => {
    const spans = healthyTrace()
      .answer({ claims: [claim("sessions_not_revoked", REVOKE_EVIDENCE)] })
      .build();
    expect(claimFindingsOf(spans)).toEqual([
      { kind: "claim_contradicts_tool", claim: "sessions_not_revoked", tool: "revoke_sessions" },
    ]);
  });

  it("fires for device_encrypted when the MDM says otherwise, even uncited", () => {
    const spans = healthyTrace()
      .mdm({ facts: { "device.encrypted": false } })
      .answer({ claims: [claim("device_encrypted", REVOKE_EVIDENCE)] })
      .build();
    const { findings } = diagnose(spans);
    expect(findings.map((f) => f.kind)).toEqual(["claim_contradicts_tool"]);
    expect(findings[0]?.explanation).toBe(
      "The answer claims device_encrypted, but mdm_lookup_device reported device.encrypted = false.",
    );
  });
});

describe("claim_unsupported", () => {
  it("fires for a claim that cites no evidence", () => {
    const spans = healthyTrace()
      .answer({ claims: [claim("device_encrypted")] })
      .build();
    const { findings } = diagnose(spans);
    expect(claimFindingsOf(spans)).toEqual([
      { kind: "claim_unsupported", claim: "device_encrypted", tool: "mdm_lookup_device" },
    ]);
    expect(findings[0]?.explanation).toBe("The answer claims device_encrypted without citing any evidence.");
  });

  it("fires for a claim whose evidence is not in the trace", () => {
    const spans = healthyTrace()
      .answer({ claims: [claim("sessions_revoked", "tool:call_elsewhere")] })
      .build();
    expect(diagnose(spans).findings).toEqual([
      expect.objectContaining({
        kind: "claim_unsupported",
        claim: "sessions_revoked",
        explanation:
          "The answer claims sessions_revoked citing tool:call_elsewhere, which is not in the trace.",
      }),
    ]);
  });

  it("fires for a document cited at a version that was not retrieved", () => {
    const spans = healthyTrace()
      .answer({ claims: [claim("device_encrypted", MDM_EVIDENCE, "doc:device-policy@1")] })
      .build();
    expect(claimFindingsOf(spans)).toEqual([
      { kind: "claim_unsupported", claim: "device_encrypted", tool: "mdm_lookup_device" },
    ]);
  });

  it("fires for evidence that cannot establish the claim", () => {
    const spans = healthyTrace()
      .answer({ claims: [claim("device_encrypted", POLICY_EVIDENCE)] })
      .build();
    expect(diagnose(spans).findings[0]?.explanation).toBe(
      "The answer claims device_encrypted, but it cites no mdm_lookup_device result.",
    );
  });

  it("fires, beside tool_partial, for device_encrypted from a record without the encrypted fact", () => {
    const spans = healthyTrace()
      .mdm({ outcome: "partial", missingFields: ["encrypted"], facts: { "device.locked": false } })
      .build();
    const { findings } = diagnose(spans);
    expect(findings.map(({ kind, claim }) => ({ kind, claim }))).toEqual([
      { kind: "tool_partial", claim: undefined },
      { kind: "claim_unsupported", claim: "device_encrypted" },
    ]);
    expect(findings[1]?.explanation).toBe(
      "The answer claims device_encrypted, but the cited mdm_lookup_device call returned a partial record missing encrypted.",
    );
  });

  it("fires for claims no tool can establish", () => {
    const spans = healthyTrace()
      .answer({
        claims: [claim("account_disabled", REVOKE_EVIDENCE), claim("escalated_to_human", MDM_EVIDENCE)],
      })
      .build();
    expect(claimFindingsOf(spans)).toEqual([
      { kind: "claim_unsupported", claim: "account_disabled", tool: undefined },
      { kind: "claim_unsupported", claim: "escalated_to_human", tool: undefined },
    ]);
  });

  it("fires once, without a claim, when the model returned no structured answer", () => {
    const spans = healthyTrace()
      .answer({ claims: [], structured: false, citations: [POLICY_EVIDENCE] })
      .build();
    const { findings, verdict } = diagnose(spans);
    expect(findings).toEqual([
      {
        kind: "claim_unsupported",
        stage: "synthesize",
        spanId: expect.any(String),
        spanName: "synthesize",
        explanation:
          "The model returned no structured claims, so the answer cannot be checked against the trace.",
      },
    ]);
    expect(verdict).toBe("unsupported");
  });
});

describe("claim_on_stale_evidence", () => {
  const staleMdm = { ageS: 26 * 3600 };

  it("fires for a claim on stale data without a stale_data caveat", () => {
    const { findings } = diagnose(healthyTrace().mdm(staleMdm).build());
    expect(findings.map((f) => f.kind)).toEqual(["stale_tool_data", "claim_on_stale_evidence"]);
    expect(findings[1]).toMatchObject({ claim: "device_encrypted", tool: "mdm_lookup_device" });
    expect(findings[1]?.explanation).toBe(
      "The answer claims device_encrypted from mdm_lookup_device data 26h old without a stale_data caveat citing it.",
    );
  });

  it("is cleared by a stale_data caveat citing the stale result", () => {
    const spans = healthyTrace()
      .mdm(staleMdm)
      .answer({ caveats: [claim("stale_data", MDM_EVIDENCE)] })
      .build();
    expect(diagnose(spans)).toMatchObject({ verdict: "supported", firstBadStage: "tool" });
  });

  it("is not cleared by a stale_data caveat citing a different result", () => {
    const spans = healthyTrace()
      .mdm(staleMdm)
      .answer({ caveats: [claim("stale_data", REVOKE_EVIDENCE)] })
      .build();
    expect(claimFindingsOf(spans)).toEqual([
      { kind: "claim_on_stale_evidence", claim: "device_encrypted", tool: "mdm_lookup_device" },
    ]);
  });

  it("is not cleared by another kind of caveat citing the stale result", () => {
    const spans = healthyTrace()
      .mdm(staleMdm)
      .answer({ caveats: [claim("unverified", MDM_EVIDENCE)] })
      .build();
    expect(diagnose(spans).verdict).toBe("unsupported");
  });
});
