import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { SpanPayload } from "../../src/governance/restricted-store.ts";
import { SqliteRestrictedStore } from "../../src/governance/restricted-sqlite.ts";
import { TailSampler } from "../../src/governance/sampling.ts";
import { PayloadTiers } from "../../src/governance/payload-tiers.ts";
import { tempStore } from "../helpers/processes.ts";

const KEY = Buffer.alloc(32, 7);
const payload = (spanId: string, text = "Elena Ruiz asked about LT-4821"): SpanPayload => ({
  spanId,
  spanName: "answer_incident",
  attributes: { "input.value": text },
});
const outcome = (
  traceId: string,
  overrides: Partial<{ failed: boolean; flagged: boolean; escalated: boolean }> = {},
) => ({
  traceId,
  failed: false,
  flagged: false,
  escalated: false,
  ...overrides,
});

describe("restricted store", () => {
  it("seals payloads at rest and audits every read", async () => {
    const path = join(tempStore().dir, "restricted.db");
    const store = new SqliteRestrictedStore(path, KEY);
    await store.put("t1", [payload("s1", "a very recognisable phrase")]);
    await store.close();
    const bytes = Buffer.concat([readFileSync(path), readFileSync(`${path}-wal`, { flag: "a+" })]);
    expect(bytes.includes("a very recognisable phrase")).toBe(false);

    const reopened = new SqliteRestrictedStore(path, KEY);
    expect(await reopened.read("t1", "reviewer:ab12", new Date("2026-11-27T10:00:00Z"))).toEqual([
      payload("s1", "a very recognisable phrase"),
    ]);
    expect(await reopened.auditLog()).toEqual([
      { who: "reviewer:ab12", action: "read_payloads", traceId: "t1", at: "2026-11-27T10:00:00.000Z" },
    ]);
    await expect(new SqliteRestrictedStore(path, Buffer.alloc(32, 8)).read("t1", "x")).rejects.toThrow();
  });
});

describe("tail sampling", () => {
  it("keeps failed, flagged and escalated traces, and a bounded share of healthy ones", async () => {
    const sampler = new TailSampler({ healthyRate: 0.5, maxHealthyPerMinute: 3 });
    expect(sampler.decide(outcome("a", { failed: true }))).toEqual({ keep: true, reason: "error" });
    expect(sampler.decide(outcome("b", { flagged: true }))).toEqual({ keep: true, reason: "flagged" });
    expect(sampler.decide(outcome("c", { escalated: true }))).toEqual({ keep: true, reason: "escalated" });
    const healthy = Array.from({ length: 200 }, (_, index) =>
      sampler.decide(outcome(`healthy-${index}`), 1_000),
    );
    expect(healthy.filter((decision) => decision.reason === "sampled")).toHaveLength(3);
    expect(healthy.filter((decision) => decision.reason === "rate_limited").length).toBeGreaterThan(60);
    expect(healthy.filter((decision) => decision.reason === "not_sampled").length).toBeGreaterThan(60);
  });

  it("samples nothing healthy at rate 0 and everything at rate 1", async () => {
    expect(new TailSampler({ healthyRate: 0, maxHealthyPerMinute: 100 }).decide(outcome("x")).keep).toBe(
      false,
    );
    expect(new TailSampler({ healthyRate: 1, maxHealthyPerMinute: 100 }).decide(outcome("x")).keep).toBe(
      true,
    );
  });
});

describe("payload tiers", () => {
  const tiers = (limits = { graceMs: 60_000, maxTraces: 10, maxBytes: 1_000_000 }, healthyRate = 0) => {
    const store = new SqliteRestrictedStore(":memory:", KEY);
    return {
      store,
      tiers: new PayloadTiers(
        store,
        new TailSampler({ healthyRate, maxHealthyPerMinute: 100 }),
        limits,
        (held) => ({ ...held, attributes: { ...held.attributes, redacted: true } }),
      ),
    };
  };

  it("writes a kept trace's payloads, later spans included, and drops a healthy one's", async () => {
    const { store, tiers: payloads } = tiers();
    payloads.hold("kept", payload("s1"), 0);
    payloads.hold("healthy", payload("s1"), 0);
    expect(payloads.decide(outcome("kept", { flagged: true }), 10)).toEqual({
      keep: true,
      reason: "flagged",
    });
    expect(payloads.decide(outcome("healthy"), 10)).toEqual({ keep: false, reason: "not_sampled" });
    payloads.hold("kept", payload("feedback"), 20);
    await payloads.written();
    expect((await store.read("kept", "test")).map((entry) => entry.spanId)).toEqual(["s1", "feedback"]);
    expect(await store.has("healthy")).toBe(false);
  });

  it("redacts payloads on their way into the store, and only those", async () => {
    const { store, tiers: payloads } = tiers();
    const held = payload("s1");
    payloads.hold("kept", held, 0);
    payloads.decide(outcome("kept", { failed: true }), 10);
    payloads.hold("kept", payload("late"), 20);
    await payloads.written();
    expect((await store.read("kept", "test")).map((entry) => entry.attributes.redacted)).toEqual([
      true,
      true,
    ]);
    // What waited in the buffer was the span's own payload, untouched.
    expect(held.attributes).not.toHaveProperty("redacted");
  });

  it("lets late feedback promote a trace within the grace period, not after", async () => {
    const { store, tiers: payloads } = tiers({
      graceMs: 15 * 60_000 + 1_000,
      maxTraces: 10,
      maxBytes: 1_000_000,
    });
    payloads.hold("escalated-in-time", payload("s1"), 0);
    payloads.hold("escalated-late", payload("s1"), 0);
    payloads.decide(outcome("escalated-in-time"), 1_000);
    payloads.decide(outcome("escalated-late"), 1_000);
    expect(payloads.promote("escalated-in-time", 15 * 60_000)).toBe(true);
    expect(payloads.promote("escalated-late", 20 * 60_000)).toBe(false);
    await payloads.written();
    expect(await store.has("escalated-in-time")).toBe(true);
    expect(await store.has("escalated-late")).toBe(false);
  });

  it("bounds the grace buffer by traces and bytes", async () => {
    const { tiers: payloads } = tiers({ graceMs: 60_000, maxTraces: 3, maxBytes: 200 });
    for (let index = 0; index < 10; index += 1) payloads.hold(`t${index}`, payload("s1"), index);
    expect(payloads.heldTraces()).toBeLessThanOrEqual(3);
    payloads.hold("big", payload("s1", "x".repeat(500)), 20);
    expect(payloads.heldTraces()).toBe(0);
  });
});

describe("restricted retention", () => {
  it("deletes payloads stored before the cutoff and keeps newer ones", async () => {
    const store = new SqliteRestrictedStore(":memory:", KEY);
    await store.put("old", [payload("s1")], 1_000);
    await store.put("new", [payload("s1")], 9_000);
    expect(await store.deleteStoredBefore(5_000)).toBe(1);
    expect(await store.has("old")).toBe(false);
    expect(await store.has("new")).toBe(true);
  });
});
