import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TraceSettler } from "../../src/lifecycle/trace-completion.ts";
import { openTraceStore, type TraceStore } from "../../src/store/trace-store.ts";
import { wrongStorySentBy } from "../helpers/trace-builder.ts";
import { tempStore } from "../helpers/processes.ts";
import { loadConfig } from "../../src/shared/config.ts";
import { governanceFor } from "../../src/governance/runtime.ts";

const QUIET_MS = 10_000;
const SENT = "0123456789abcdef0123456789abcdef";
const OTHER = "fedcba9876543210fedcba9876543210";

let store: TraceStore;
let now: number;
/** A settler as `serve` starts one: it first looks for the traces a crash left undiagnosed. */
async function settlerOf(target: TraceStore) {
  const settler = new TraceSettler(
    target,
    governanceFor(
      loadConfig({ TRACE_STORE: target.location, RESTRICTED_STORE: `${target.location}.restricted` }),
    ),
    QUIET_MS,
    () => now,
  );
  await settler.recover();
  return settler;
}

beforeEach(async () => {
  store = await openTraceStore(tempStore().traceStore);
  now = 1_000_000;
});
afterEach(async () => await store.close());

describe("TraceSettler", () => {
  it("diagnoses a trace sent over OTLP once no span of it has arrived for the quiet time", async () => {
    const settler = await settlerOf(store);
    const spans = wrongStorySentBy(SENT);
    await store.addSpans(spans.slice(0, 3));
    settler.spansArrived([SENT]);
    now += QUIET_MS - 1;
    await store.addSpans(spans.slice(3));
    settler.spansArrived([SENT]);
    now += QUIET_MS - 1;
    expect(await settler.settle()).toEqual([]);
    expect(await store.summarizedSpanCount(SENT)).toBeUndefined();

    now += 1;
    expect(await settler.settle()).toEqual([SENT]);
    expect(await store.summarizedSpanCount(SENT)).toBe(spans.length);
    expect((await store.annotationsOf(SENT)).map(({ name, label }) => [name, label])).toEqual([
      ["tool_error", "revoke_sessions"],
      ["claim_contradicts_tool", "sessions_revoked"],
      ["verdict", "unsupported"],
    ]);
    expect(settler.watching).toBe(0);
  });

  it("leaves a trace this process has summarized already", async () => {
    const settler = await settlerOf(store);
    await store.addSpans(wrongStorySentBy(SENT));
    settler.spansArrived([SENT]);
    const diagnosedFirst = await settlerOf(store);
    now += QUIET_MS;
    expect(await diagnosedFirst.settle()).toEqual([SENT]);
    expect(await settler.settle()).toEqual([]);
  });

  it("diagnoses a trace again when spans of it arrive after it was diagnosed", async () => {
    const settler = await settlerOf(store);
    const spans = wrongStorySentBy(SENT);
    const verdict = async () =>
      (await store.annotationsOf(SENT)).find((annotation) => annotation.name === "verdict")?.label;
    await store.addSpans(spans.slice(0, 3));
    settler.spansArrived([SENT]);
    now += QUIET_MS;
    expect(await settler.settle()).toEqual([SENT]);
    expect(await verdict()).toBe("supported");

    // The rest arrives through another replica, which has no summary of it to trust.
    const otherReplica = await settlerOf(store);
    await store.addSpans(spans.slice(3));
    otherReplica.spansArrived([SENT]);
    now += QUIET_MS;
    expect(await otherReplica.settle()).toEqual([SENT]);
    expect(await verdict()).toBe("unsupported");
    expect(await store.summarizedSpanCount(SENT)).toBe(spans.length);
    settler.spansArrived([SENT]);
    now += QUIET_MS;
    expect(await settler.settle()).toEqual([]);
  });

  it("finds at start-up a trace that gained spans after it was diagnosed", async () => {
    const spans = wrongStorySentBy(SENT);
    const settler = await settlerOf(store);
    await store.addSpans(spans.slice(0, 3));
    settler.spansArrived([SENT]);
    now += QUIET_MS;
    expect(await settler.settle()).toEqual([SENT]);
    await store.addSpans(spans.slice(3)); // and the process stops before it settles them
    const restarted = await settlerOf(store);
    expect(restarted.watching).toBe(1);
    now += QUIET_MS;
    expect(await restarted.settle()).toEqual([SENT]);
    expect(await store.summarizedSpanCount(SENT)).toBe(spans.length);
  });

  it("watches again a trace another process holds, and settles it if that one dies", async () => {
    const settler = await settlerOf(store);
    await store.addSpans(wrongStorySentBy(SENT));
    const spanCount = (await store.spansOf(SENT)).length;
    expect(await store.claimTrace(SENT, { owner: "another-replica", leaseMs: 30_000, spanCount, now })).toBe(
      true,
    );
    settler.spansArrived([SENT]);
    now += QUIET_MS;
    expect(await settler.settle()).toEqual([]);
    expect(settler.watching).toBe(1);
    now += 30_000;
    expect(await settler.settle()).toEqual([SENT]);
  });

  it("finds at start-up the traces a crash left undiagnosed, partial ones included", async () => {
    const partial = wrongStorySentBy(OTHER).filter((span) => span.parentSpanId !== null);
    await store.addSpans(partial);
    await store.addSpans(wrongStorySentBy(SENT));
    expect(await (await settlerOf(store)).settle()).toEqual([]); // not quiet yet
    const restarted = await settlerOf(store);
    expect(restarted.watching).toBe(2);
    now += QUIET_MS;
    expect((await restarted.settle()).sort()).toEqual([SENT, OTHER].sort());
    expect((await store.annotationsOf(OTHER)).map((annotation) => annotation.name)).toContain("tool_error");
    expect((await settlerOf(store)).watching).toBe(0);
  });

  it("watches again a trace it could not settle, and says so", async () => {
    const settler = await settlerOf(store);
    await store.addSpans(wrongStorySentBy(SENT));
    settler.spansArrived([SENT]);
    now += QUIET_MS;
    const spansOf = store.spansOf.bind(store);
    store.spansOf = () => Promise.reject(new Error("connection lost"));
    await expect(settler.settle()).rejects.toThrow(/1 trace\(s\) not settled yet/);
    expect(settler.watching).toBe(1);

    store.spansOf = spansOf;
    now += QUIET_MS;
    expect(await settler.settle()).toEqual([SENT]);
    expect(await store.summarizedSpanCount(SENT)).toBeDefined();
  });
});
