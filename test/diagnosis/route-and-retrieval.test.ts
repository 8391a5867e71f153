import { describe, expect, it } from "vitest";
import { diagnose } from "../../src/diagnosis/index.ts";
import { healthyTrace } from "../helpers/trace-builder.ts";

describe("route_downgrade", () => {
  it("fires when a high-severity incident takes the fast route", () => {
    const { findings } = diagnose(
      healthyTrace().route({ severity: "high", name: "fast", model: "sim-small" }).build(),
    );
    expect(findings).toEqual([
      expect.objectContaining({ kind: "route_downgrade", stage: "route", spanName: "route" }),
    ]);
    expect(findings[0]?.explanation).toBe(
      "A high-severity lost_or_stolen_device incident was routed to the fast model sim-small by the cost-saver policy.",
    );
  });

  it("fires for critical severity too", () => {
    const { findings } = diagnose(healthyTrace().route({ severity: "critical", name: "fast" }).build());
    expect(findings.map((f) => f.kind)).toEqual(["route_downgrade"]);
  });

  it("does not fire for a medium-severity incident on the fast route", () => {
    expect(diagnose(healthyTrace().route({ severity: "medium", name: "fast" }).build()).findings).toEqual([]);
  });

  it("does not fire for a critical incident on the strong route", () => {
    expect(diagnose(healthyTrace().route({ severity: "critical", name: "strong" }).build()).findings).toEqual(
      [],
    );
  });
});

describe("stale_retrieval", () => {
  const policy = { id: "device-policy", kind: "policy", title: "Lost or stolen device policy" } as const;

  it("fires when the retriever returns an older version than the one in effect", () => {
    const spans = healthyTrace()
      .docs({ ...policy, version: 1, currentVersion: 2 })
      .answer({ citations: ["doc:device-policy@1"] })
      .build();
    const { findings, firstBadStage } = diagnose(spans);
    expect(findings).toEqual([expect.objectContaining({ kind: "stale_retrieval", stage: "retrieve" })]);
    expect(findings[0]?.explanation).toBe(
      "device-policy v1 was retrieved from index snapshot idx-2026-11-27-65eb3849 (as of 2026-11-27), but v2 is the version in effect now.",
    );
    expect(firstBadStage).toBe("retrieve");
  });

  it("fires once per stale document", () => {
    const spans = healthyTrace()
      .docs(
        { ...policy, version: 1, currentVersion: 2 },
        { id: "stolen-device", version: 1, currentVersion: 2 },
        { id: "mdm-usage", version: 1, currentVersion: 1 },
      )
      .answer({ citations: ["doc:device-policy@1"] })
      .build();
    expect(diagnose(spans).findings.map((f) => f.kind)).toEqual(["stale_retrieval", "stale_retrieval"]);
  });

  it("does not fire for the current version", () => {
    expect(diagnose(healthyTrace().build()).findings).toEqual([]);
  });
});
