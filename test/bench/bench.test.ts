import { describe, expect, it } from "vitest";
import { bench, expectContract } from "./contract.ts";

// The timeouts are a ceiling for a hung run, not a deadline: on a loaded 2-core machine a run takes minutes.
describe("npm run bench -- --json --quick", () => {
  it("prints one JSON object with exactly the contract's keys and consistent numbers", async () => {
    const result = await bench([]);
    expect(Object.keys(result).sort()).toEqual(["ingest", "memory", "overhead", "queries", "store"]);
    expectContract(result);
  }, 600_000);
});
