import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TraceSettler } from "../../src/lifecycle/trace-completion.ts";
import { TraceStore } from "../../src/store/trace-store.ts";
import { wrongStorySentBy } from "../helpers/trace-builder.ts";
import { tempStore } from "../helpers/processes.ts";
import { loadConfig } from "../../src/shared/config.ts";
import { governanceFor } from "../../src/governance/runtime.ts";

const QUIET_MS = 10_000;
const SENT = "0123456789abcdef0123456789abcdef";
const OTHER = "fedcba9876543210fedcba9876543210";

let store: TraceStore;
let now: number;
const settlerOf = (target: TraceStore) =>
  new TraceSettler(
    target,
    governanceFor(loadConfig({ TRACE_STORE: target.path, RESTRICTED_STORE: `${target.path}.restricted` })),
    QUIET_MS,
    () => now,
  );

beforeEach(() => {
  store = new TraceStore(tempStore().traceStore);
  now = 1_000_000;
});
afterEach(() => store.close());

describe("TraceSettler", () => {
  it("diagnoses a trace sent over OTLP once no span of it has arrived for the quiet time", () => {
    const settler = settlerOf(store);
    const spans = wrongStorySentBy(SENT);
    store.addSpans(spans.slice(0, 3));
    settler.spansArrived([SENT]);
    now += QUIET_MS - 1;
    store.addSpans(spans.slice(3));
    settler.spansArrived([SENT]);
    now += QUIET_MS - 1;
    expect(settler.settle()).toEqual([]);
    expect(store.hasSummary(SENT)).toBe(false);

    now += 1;
    expect(settler.settle()).toEqual([SENT]);
    expect(store.hasSummary(SENT)).toBe(true);
    expect(store.annotationsOf(SENT).map(({ name, label }) => [name, label])).toEqual([
      ["tool_error", "revoke_sessions"],
      ["claim_contradicts_tool", "sessions_revoked"],
      ["verdict", "unsupported"],
    ]);
    expect(settler.watching).toBe(0);
  });

  it("leaves a trace this process has summarized already", () => {
    const settler = settlerOf(store);
    store.addSpans(wrongStorySentBy(SENT));
    settler.spansArrived([SENT]);
    const diagnosedFirst = settlerOf(store);
    now += QUIET_MS;
    expect(diagnosedFirst.settle()).toEqual([SENT]);
    expect(settler.settle()).toEqual([]);
  });

  it("finds at start-up the traces a crash left undiagnosed, partial ones included", () => {
    const partial = wrongStorySentBy(OTHER).filter((span) => span.parentSpanId !== null);
    store.addSpans(partial);
    store.addSpans(wrongStorySentBy(SENT));
    settlerOf(store).settle(); // not quiet yet: nothing happens
    const restarted = settlerOf(store);
    expect(restarted.watching).toBe(2);
    now += QUIET_MS;
    expect(restarted.settle().sort()).toEqual([SENT, OTHER].sort());
    expect(store.annotationsOf(OTHER).map((annotation) => annotation.name)).toContain("tool_error");
    expect(settlerOf(store).watching).toBe(0);
  });
});
