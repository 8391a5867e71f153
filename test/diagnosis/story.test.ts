import { describe, expect, it } from "vitest";
import { diagnose, storyOf } from "../../src/diagnosis/index.ts";
import { healthyTrace, MDM_EVIDENCE, REVOKE_EVIDENCE } from "../helpers/trace-builder.ts";

const revoke403 = { outcome: "error", httpStatus: 403, errorType: "insufficient_scope", facts: {} } as const;

describe("storyOf", () => {
  it("says there is no wrong story in a healthy trace", () => {
    expect(storyOf(diagnose(healthyTrace().build()))).toBe(
      "No wrong story: every claim in the answer is backed by a successful, fresh tool result.",
    );
  });

  it("names the tool stage and the claim the 403 contradicts", () => {
    expect(storyOf(diagnose(healthyTrace().revoke(revoke403).build()))).toBe(
      "The wrong story entered at the tool stage: revoke_sessions failed, yet the answer claimed sessions_revoked. " +
        "revoke_sessions failed with HTTP 403 insufficient_scope after 0 retries.",
    );
  });

  it("tells both halves of the stolen-laptop story", () => {
    const spans = healthyTrace()
      .mdm({ ageS: 26 * 3600, asOf: undefined })
      .revoke(revoke403)
      .build();
    expect(storyOf(diagnose(spans))).toBe(
      "The wrong story entered at the tool stage: mdm_lookup_device returned stale data and revoke_sessions failed, " +
        "yet the answer claimed device_encrypted and sessions_revoked. " +
        "mdm_lookup_device returned data 26h old, past its 1h freshness budget. " +
        "revoke_sessions failed with HTTP 403 insufficient_scope after 0 retries.",
    );
  });

  it("blames the synthesis when the evidence was sound", () => {
    const spans = healthyTrace()
      .answer({ claims: [{ kind: "account_disabled", evidence: [REVOKE_EVIDENCE] }] })
      .build();
    expect(storyOf(diagnose(spans))).toBe(
      "The wrong story entered at the synthesize stage: the answer claimed account_disabled without evidence that establishes it. " +
        "The answer claims account_disabled, but no tool result in this system can establish it.",
    );
  });

  it("says the answer held up when it reported a failure honestly", () => {
    const spans = healthyTrace()
      .revoke(revoke403)
      .answer({ claims: [{ kind: "sessions_not_revoked", evidence: [REVOKE_EVIDENCE] }] })
      .build();
    expect(storyOf(diagnose(spans))).toBe(
      "No wrong story reached the answer, though the tool stage went wrong: revoke_sessions failed. " +
        "revoke_sessions failed with HTTP 403 insufficient_scope after 0 retries. " +
        "Every claim in the answer is still backed by the trace.",
    );
  });

  it("mentions an uncited policy separately", () => {
    const spans = healthyTrace()
      .answer({ citations: [MDM_EVIDENCE, REVOKE_EVIDENCE] })
      .build();
    expect(storyOf(diagnose(spans))).toBe(
      "No wrong story: every claim in the answer is backed by a successful, fresh tool result. " +
        "Separately, the answer leaves a top-ranked policy uncited. " +
        "The answer does not cite doc:device-policy@2 (Lost or stolen device policy), a policy retrieved at rank 1.",
    );
  });
});
