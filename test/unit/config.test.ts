import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkStorePaths, ConfigError, loadConfig, SETTINGS } from "../../src/shared/config.ts";

const check =
  (traceStore: string, restrictedStore: string, keys = { pseudonymizationKey: "", restrictedStoreKey: "" }) =>
  () =>
    checkStorePaths({ traceStore, restrictedStore, ...keys });

describe("configuration table", () => {
  it("has a working default for every setting", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      traceStore: ".data/traces.db",
      assistantLlm: "sim",
      routingPolicy: "cost-saver",
      synthesizerPrompt: "v2",
      openaiBaseUrl: undefined,
      toolMaxRetries: 2,
    });
    expect(config.modelPrices["sim-large"]).toEqual({ inputPerMTok: 3, outputPerMTok: 15 });
  });

  it("names every bad variable in one error", () => {
    const load = () =>
      loadConfig({ PORT: "eighty", ROUTING_POLICY: "cheapest", MODEL_PRICES: "sim-large=free" });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/PORT="eighty"/);
    expect(load).toThrow(/ROUTING_POLICY="cheapest"/);
    expect(load).toThrow(/MODEL_PRICES="sim-large=free": expected model=input:output pairs/);
  });

  it("refuses stores that cannot be created, naming the variable", () => {
    const dir = mkdtempSync(join(tmpdir(), "config-"));
    const file = join(dir, "a-file");
    writeFileSync(file, "");
    expect(check(join(dir, "traces.db"), join(dir, "restricted.db"))).not.toThrow();
    expect(check(join(file, "traces.db"), join(dir, "restricted.db"))).toThrow(
      /^invalid configuration:\n {2}TRACE_STORE=/,
    );
    expect(check(join(dir, "traces.db"), join(file, "restricted.db"))).toThrow(
      /RESTRICTED_STORE=.*cannot hold a store/,
    );
    expect(check(dir, join(dir, "restricted.db"))).toThrow(/TRACE_STORE=.*it is a directory/);
  });

  it("asks for the keys when replicas share a PostgreSQL store, and makes no directory for it", () => {
    const url = "postgres://traces:secret@db.internal:5432/traces";
    const missing = check(url, "postgres://restricted:other@db.internal:5432/restricted");
    expect(missing).toThrow(/PSEUDONYMIZATION_KEY must be set when TRACE_STORE is a PostgreSQL URL/);
    expect(missing).toThrow(/RESTRICTED_STORE_KEY must be set/);
    const key = "ab".repeat(32);
    expect(
      check(url, "postgres://r@db/restricted", { pseudonymizationKey: key, restrictedStoreKey: key }),
    ).not.toThrow();
    expect(existsSync("postgres:")).toBe(false);
  });

  it("is documented in .env.example (npm run env:example), variable by variable, with its default", () => {
    const example = readFileSync(new URL("../../.env.example", import.meta.url), "utf8");
    for (const setting of Object.values(SETTINGS)) {
      expect(example).toContain(`# ${setting.doc}\n${setting.env}=${setting.default}\n`);
    }
  });
});
