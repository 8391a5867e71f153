import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { diagnose } from "../../src/diagnosis/index.ts";
import { diagnosisLines } from "../../src/scenarios/report.ts";
import { healthyTrace, REVOKE_EVIDENCE } from "../helpers/trace-builder.ts";

describe("the human report of a diagnosis", () => {
  const spans = healthyTrace()
    .revoke({ outcome: "error", httpStatus: 403, errorType: "insufficient_scope" })
    .answer({ claims: [{ kind: "sessions_revoked", evidence: [REVOKE_EVIDENCE] }] })
    .build();
  const lines = diagnosisLines(spans, diagnose(spans)).map(stripVTControlCharacters);

  it("marks findings on their spans and shows only the statuses that say something", () => {
    expect(lines.join("\n")).toContain("▲ tool_error: revoke_sessions failed with HTTP 403");
    expect(lines.find((line) => line.includes("execute_tool revoke_sessions"))).toContain("ERROR");
    expect(lines.join("\n")).not.toContain("UNSET");
  });

  it("ends with the verdict, the first bad stage and a legend of both", () => {
    expect(lines).toContain("Verdict: unsupported   first bad stage: tool");
    for (const term of ["verdict:", "findings:", "first bad stage:"])
      expect(lines.some((line) => line.startsWith(term))).toBe(true);
  });
});
