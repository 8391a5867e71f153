import { describe, expect, it } from "vitest";
import { diagnose } from "../../src/diagnosis/index.ts";
import type { SpanRecord } from "../../src/store/trace-store.ts";
import { healthyTrace, MDM_EVIDENCE } from "../helpers/trace-builder.ts";

const kindsOf = (spans: SpanRecord[]) => diagnose(spans).findings.map((f) => f.kind);

const staleDataCaveat = { kind: "stale_data", evidence: [MDM_EVIDENCE] };

describe("tool_error", () => {
  it("fires for a 403 with the status, error type and retries", () => {
    const spans = healthyTrace()
      .revoke({ outcome: "error", httpStatus: 403, errorType: "insufficient_scope", facts: {} })
      .answer({ claims: [] })
      .build();
    const { findings } = diagnose(spans);
    expect(findings).toEqual([
      expect.objectContaining({ kind: "tool_error", stage: "tool", tool: "revoke_sessions" }),
    ]);
    expect(findings[0]?.explanation).toBe(
      "revoke_sessions failed with HTTP 403 insufficient_scope after 0 retries.",
    );
  });

  it("fires for a timeout, which has no HTTP status", () => {
    const spans = healthyTrace()
      .mdm({ outcome: "error", httpStatus: undefined, errorType: "timeout", retries: 2, facts: {} })
      .answer({ claims: [] })
      .build();
    expect(diagnose(spans).findings[0]?.explanation).toBe(
      "mdm_lookup_device failed with timeout after 2 retries.",
    );
  });

  it("does not fire for a flaky tool that succeeded on retry", () => {
    expect(kindsOf(healthyTrace().revoke({ retries: 2 }).build())).toEqual([]);
  });
});

describe("tool_partial", () => {
  it("fires for a success that left out required fields, naming them", () => {
    const spans = healthyTrace()
      .mdm({ outcome: "partial", missingFields: ["encrypted"], facts: { "device.locked": false } })
      .answer({ claims: [] })
      .build();
    const { findings } = diagnose(spans);
    expect(findings.map((f) => f.kind)).toEqual(["tool_partial"]);
    expect(findings[0]?.explanation).toBe(
      "mdm_lookup_device answered HTTP 200 but its result is missing encrypted.",
    );
  });
});

describe("stale_tool_data", () => {
  const caveated = (ageS: number) =>
    healthyTrace()
      .mdm({ ageS })
      .answer({ caveats: [staleDataCaveat] })
      .build();

  it("does not fire for data 59 minutes old against a one-hour budget", () => {
    expect(kindsOf(caveated(59 * 60))).toEqual([]);
  });

  it("does not fire for data exactly at the budget", () => {
    expect(kindsOf(caveated(3600))).toEqual([]);
  });

  it("fires for data an hour and a second old", () => {
    expect(kindsOf(caveated(3601))).toEqual(["stale_tool_data"]);
  });

  it("explains the as-of time, the age and the budget", () => {
    const spans = healthyTrace()
      .mdm({ ageS: 26 * 3600, asOf: "2026-11-26T15:00:00.000Z" })
      .answer({ caveats: [staleDataCaveat] })
      .build();
    expect(diagnose(spans).findings[0]?.explanation).toBe(
      "mdm_lookup_device returned data as of 2026-11-26T15:00:00.000Z, 26h old, past its 1h freshness budget.",
    );
  });

  it("skips a result without an age or a budget", () => {
    expect(kindsOf(healthyTrace().mdm({ ageS: undefined }).build())).toEqual([]);
    expect(kindsOf(healthyTrace().mdm({ ageS: 99_999, freshnessBudgetS: undefined }).build())).toEqual([]);
  });

  it("skips a failed call", () => {
    const spans = healthyTrace()
      .mdm({ outcome: "error", httpStatus: 503, errorType: "http_503", ageS: 99_999, facts: {} })
      .answer({ claims: [] })
      .build();
    expect(kindsOf(spans)).toEqual(["tool_error"]);
  });
});
