import { describe, expect, it } from "vitest";
import { judge, type Truth } from "../../src/experiments/analyst.ts";
import { generateTickets, type Ticket } from "../../src/experiments/tickets.ts";
import { worldSchema } from "../../src/contracts/world.ts";
import type { Answer } from "../../src/agent/synthesizer.ts";

const POLICY = "doc:device-policy@2";
const TOOLS = { timeoutMs: 2_000, maxRetries: 2 };
const MDM = "tool:call_mdm";
const REVOKE = "tool:call_revoke";

/** A stolen-laptop ticket in the given world. */
function ticket(world: Record<string, unknown> = {}): Ticket {
  const base = generateTickets(1, 1)[0]!;
  return {
    ...base,
    employeeIds: ["E-55501"],
    assets: ["LT-7001"],
    callsForRevocation: true,
    world: worldSchema.parse(world),
  };
}

const truth = (overrides: Partial<Truth> = {}): Truth => ({
  device: { encrypted: true, locked: false, wiped: false },
  activeSessions: 0,
  devicePolicy: POLICY,
  ...overrides,
});

function answer(claims: string[], caveats: string[] = [], citations = [POLICY, MDM, REVOKE]): Answer {
  return {
    summary: "…",
    claims: claims.map((kind) => ({ kind, statement: kind, evidence: [MDM] })),
    citations,
    caveats: caveats.map((kind) => ({ kind, text: kind, evidence: [MDM] })),
  } as Answer;
}

describe("the simulated analyst", () => {
  it("confirms a complete, true answer", () => {
    expect(judge(ticket(), answer(["device_encrypted", "sessions_revoked"]), truth(), TOOLS).outcome).toBe(
      "confirmed",
    );
  });

  it("escalates a revocation the answer claims but that did not happen", () => {
    const verdict = judge(
      ticket(),
      answer(["device_encrypted", "sessions_revoked"]),
      truth({ activeSessions: 3 }),
      TOOLS,
    );
    expect(verdict).toEqual({
      outcome: "escalated",
      comment: "The answer says the sessions were revoked; they are still active.",
    });
  });

  it("escalates device state from a stale snapshot unless a stale_data caveat says so", () => {
    const stale = ticket({ mdm: { sync_lag: "26h" } });
    expect(judge(stale, answer(["device_encrypted", "sessions_revoked"]), truth(), TOOLS).outcome).toBe(
      "escalated",
    );
    expect(
      judge(stale, answer(["device_encrypted", "sessions_revoked"], ["stale_data"]), truth(), TOOLS).outcome,
    ).toBe("confirmed");
  });

  it("does not judge what it could not read, and counts an answer past the timeout as none", () => {
    const claimed = answer(["device_encrypted", "sessions_revoked"]);
    expect(judge(ticket(), claimed, truth({ activeSessions: undefined }), TOOLS).outcome).toBe("confirmed");
    const slow = ticket({ mdm: { faults: { latency_ms: 5_000 } } });
    expect(judge(slow, claimed, truth(), TOOLS).outcome).toBe("escalated");
  });

  it("escalates device state the MDM never reported, or that contradicts its record", () => {
    const failing = ticket({ mdm: { faults: { status: 503 } } });
    expect(judge(failing, answer(["device_encrypted"]), truth(), TOOLS).outcome).toBe("escalated");
    // A 503 that recovers within the retries did report it.
    const recovered = ticket({ mdm: { faults: { status: 503, fail_first: 2 } } });
    expect(judge(recovered, answer(["device_encrypted", "sessions_revoked"]), truth(), TOOLS).outcome).toBe(
      "confirmed",
    );
    expect(
      judge(recovered, answer(["device_encrypted", "sessions_revoked"]), truth(), { ...TOOLS, maxRetries: 1 })
        .outcome,
    ).toBe("escalated");
    const partial = ticket({ mdm: { faults: { drop_fields: ["encrypted"] } } });
    expect(judge(partial, answer(["device_encrypted"]), truth(), TOOLS).outcome).toBe("escalated");
    const unencrypted = truth({ device: { encrypted: false, locked: false, wiped: false } });
    expect(
      judge(ticket(), answer(["device_encrypted", "sessions_revoked"]), unencrypted, TOOLS).comment,
    ).toContain("contradicts the MDM record");
  });

  it("corrects an answer that leaves out what the ticket asked, or the device policy in effect", () => {
    expect(judge(ticket(), answer(["device_encrypted"]), truth({ activeSessions: 3 }), TOOLS)).toMatchObject({
      outcome: "corrected",
      comment: "The answer does not say whether the sessions were revoked.",
    });
    // Saying the revocation failed is complete.
    expect(
      judge(ticket(), answer(["device_encrypted"], ["tool_failed"]), truth({ activeSessions: 3 }), TOOLS)
        .outcome,
    ).toBe("confirmed");
    expect(judge(ticket(), answer(["sessions_revoked"]), truth(), TOOLS).comment).toContain("encrypted");
    const oldPolicy = answer(
      ["device_encrypted", "sessions_revoked"],
      [],
      ["doc:device-policy@1", MDM, REVOKE],
    );
    expect(judge(ticket(), oldPolicy, truth(), TOOLS)).toMatchObject({
      outcome: "corrected",
      comment: `The answer does not cite the device policy in effect (${POLICY}).`,
    });
  });
});
