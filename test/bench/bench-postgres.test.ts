import { describe, expect, it } from "vitest";
import { postgresUrl } from "../helpers/stores.ts";
import { bench, expectContract } from "./contract.ts";

// A file of its own: it runs beside the SQLite bench, not after it.
// The timeout is a ceiling for a hung run, not a deadline.
describe("npm run bench -- --json --quick --store postgres://…", () => {
  it.skipIf(!postgresUrl)(
    "with --store postgres://…, measures every path on PostgreSQL, and ingest through one and two replicas",
    async () => {
      const result = await bench(["--store", postgresUrl]);
      expect(Object.keys(result).sort()).toEqual([
        "ingest",
        "memory",
        "overhead",
        "queries",
        "replicas",
        "store",
      ]);
      expectContract(result);
      expect(Object.keys(result.replicas ?? {}).sort()).toEqual(["1", "2"]);
      expect(result.replicas?.["1"]).toBeGreaterThan(0);
      expect(result.replicas?.["2"]).toBeGreaterThan(0);
    },
    600_000,
  );
});
