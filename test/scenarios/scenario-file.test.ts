import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  builtInScenarioFiles,
  loadScenario,
  scenarioJsonSchema,
  ScenarioError,
} from "../../src/scenarios/scenario.ts";
import { tempStore } from "../helpers/processes.ts";

function scenarioFile(yaml: string): string {
  const file = join(tempStore().dir, "mine.yaml");
  writeFileSync(file, yaml);
  return file;
}

const errorOf = (file: string) => {
  try {
    loadScenario(file);
  } catch (error) {
    if (error instanceof ScenarioError) return error.message;
    throw error;
  }
  throw new Error("the scenario loaded");
};

describe("scenario files", () => {
  it("take a minimal device record and give it plausible defaults", () => {
    const file = scenarioFile(`id: mine
title: My laptop
request: {question: "Laptop LT-9001 was stolen. Is it encrypted?"}
world:
  mdm:
    devices:
      - {asset: LT-9001, owner: E-20001, encrypted: false}
`);
    const [device] = loadScenario(file).world.mdm.devices;
    expect(device).toMatchObject({
      asset: "LT-9001",
      owner: "E-20001",
      encrypted: false,
      serial: "C02LT9001",
      owner_name: "Employee E-20001",
      owner_email: "e-20001@example.com",
      last_seen_ip: "198.51.100.7",
    });
  });

  it("report every problem of a file at once, a missing field as required", () => {
    const file = scenarioFile(`id: Mine
request: {question: 42}
world:
  mdm:
    devices:
      - {asset: LT-9001, encrypted: maybe}
`);
    expect(errorOf(file).split("\n")).toEqual([
      `${file}: id: expected a kebab-case id such as revoke-403`,
      `${file}: title: required`,
      `${file}: request.question: Invalid input: expected string, received number`,
      `${file}: world.mdm.devices.0.owner: required`,
      `${file}: world.mdm.devices.0.encrypted: Invalid input: expected boolean, received string`,
    ]);
  });

  it("name the built-in scenarios when an id is unknown", () => {
    expect(errorOf("no-such-scenario")).toMatch(/built-in: cheap-route, elena, .*stale-snapshot\)$/);
  });

  it("match the JSON Schema shipped for editors (npm run scenario:schema), which every built-in names", () => {
    const shipped = JSON.parse(
      readFileSync(new URL("../../scenarios/scenario.schema.json", import.meta.url), "utf8"),
    ) as unknown;
    expect(shipped).toEqual(scenarioJsonSchema());
    for (const file of builtInScenarioFiles())
      expect(readFileSync(file, "utf8").split("\n")[0], file).toBe(
        "# yaml-language-server: $schema=./scenario.schema.json",
      );
  });
});
