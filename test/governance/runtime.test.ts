import { describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/shared/config.ts";
import { Governance } from "../../src/governance/runtime.ts";
import { tempStore } from "../helpers/processes.ts";
import { BASE62, fakeGenerator } from "./fakes.ts";

const fake = fakeGenerator(27);
const secret = `sk-${fake(BASE62, 48)}`;

function governance() {
  const { dir, traceStore } = tempStore();
  return new Governance(
    loadConfig({
      TRACE_STORE: traceStore,
      RESTRICTED_STORE: `${dir}/restricted.db`,
      SAMPLE_HEALTHY_RATE: "0",
    }),
  );
}

describe("Governance", () => {
  it("keeps redacted safe metadata and holds the raw payload, redacted only when the trace is kept", async () => {
    const governed = governance();
    const redact = vi.spyOn(governed.redactor, "redactDeep");
    const span = {
      traceId: "77777777777777777777777777777777",
      spanId: "00f067aa0ba902b7",
      name: "chat sim-large",
      attributes: { "llm.model_name": "sim-large", "input.value": `my key is ${secret}` },
      events: [],
    };

    const kept = governed.govern(span);

    expect(kept.attributes).toEqual({ "llm.model_name": "sim-large" });
    expect(redact).not.toHaveBeenCalled();
    governed.tiers.decide({ traceId: span.traceId, failed: true, flagged: false, escalated: false });
    expect(redact).toHaveBeenCalledTimes(1);
    await governed.tiers.written();
    const [payload] = await governed.restricted.read(span.traceId, "test");
    expect(payload?.attributes["input.value"]).toMatch(/^my key is /);
    expect(JSON.stringify(payload)).not.toContain(secret);
  });

  it("scans a safe text that repeats once, and still answers it redacted", async () => {
    const governed = governance();
    const redact = vi.spyOn(governed.redactor, "redact");
    const text = `https://mdm.example/v1/devices?token=${secret}`;

    const answers = [governed.safeText(text), governed.safeText(text), governed.safeText(text)];

    expect(redact).toHaveBeenCalledTimes(1);
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]).not.toContain(secret);
  });
});
