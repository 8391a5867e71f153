import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { measureOverload } from "../../scripts/bench/ingest.ts";
import { BenchStores } from "../../scripts/bench/stores.ts";

const dir = mkdtempSync(join(tmpdir(), "overload-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the OTLP receiver under overload", () => {
  it("refuses what its queue cannot hold with 429, and stores every span it accepted", async () => {
    // Sixteen senders retrying every 429 at once against a queue of four requests. The run itself
    // checks that the store holds every span sent; the timings are the benchmark's, not asserted here.
    const result = await measureOverload(4_096, new BenchStores(dir));
    expect(result.refused_requests).toBeGreaterThan(0);
    expect(result.overloaded_spans_per_s).toBeGreaterThan(0);
  });
});
