import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { classifyIncident } from "../../mock-tools/llm/classifier.ts";
import { generateTickets, loadTicketFile, WORLD_MIX } from "../../src/experiments/tickets.ts";
import { ScenarioError } from "../../src/scenarios/scenario.ts";
import { tempStore } from "../helpers/processes.ts";

describe("generated tickets", () => {
  const tickets = generateTickets(400, 7);

  it("are the same for the same seed, and differ for another", () => {
    expect(generateTickets(400, 7)).toEqual(tickets);
    expect(generateTickets(400, 8).map((ticket) => ticket.question)).not.toEqual(
      tickets.map((ticket) => ticket.question),
    );
  });

  it("each have people and devices of their own, so their worlds never overlap", () => {
    const entities = tickets.flatMap((ticket) => [...ticket.employeeIds, ...ticket.assets]);
    expect(new Set(entities).size).toBe(entities.length);
    expect(entities).not.toContain("E-10442");
  });

  it("say what the simulated model recognises: the employee, the device, and revocation when asked", () => {
    for (const ticket of tickets) {
      const classification = classifyIncident(ticket.question);
      expect(classification.employee_ids, ticket.question).toEqual(ticket.employeeIds);
      expect(classification.asset_tags.filter((tag) => ticket.assets.includes(tag))).toEqual(ticket.assets);
      expect(classification.requested_actions.includes("revoke_sessions"), ticket.question).toBe(
        ticket.callsForRevocation,
      );
    }
    const categories = new Set(tickets.map((ticket) => classifyIncident(ticket.question).category));
    expect(categories).toEqual(new Set(["lost_or_stolen_device", "account_compromise", "phishing", "other"]));
  });

  it("meet the documented world mix on device tickets, give or take sampling, and only worlds that touch them", () => {
    const deviceTickets = tickets.filter((ticket) => ticket.assets.length > 0);
    for (const [kind, weight] of WORLD_MIX) {
      const share = deviceTickets.filter((ticket) => ticket.worldKind === kind).length / deviceTickets.length;
      expect(Math.abs(share - weight / 100), kind).toBeLessThan(0.08);
    }
    const noTools = tickets.filter((ticket) => ticket.assets.length === 0 && !ticket.callsForRevocation);
    expect(noTools.length).toBeGreaterThan(0);
    for (const ticket of noTools) expect(["healthy", "stale-runbooks"]).toContain(ticket.worldKind);
    const stale = tickets.find((ticket) => ticket.worldKind === "stale-snapshot")!;
    expect(stale.world.mdm.sync_lag).toBeGreaterThan(60 * 60 * 1000);
    const index = tickets.find((ticket) => ticket.worldKind === "stale-runbooks")!;
    expect(index.world.runbooks.index_as_of).toBe("2026-03-01");
  });
});

describe("a ticket file", () => {
  const write = (text: string) => {
    const file = join(tempStore().dir, "tickets.yaml");
    writeFileSync(file, text);
    return file;
  };

  it("gives one ticket per entry, with the entities its question and devices name", () => {
    const file = write(`
- id: stolen-laptop
  request: {question: "Elena Ruiz (E-10442) reports laptop LT-4821 stolen. Revoke her sessions."}
  world: {mdm: {sync_lag: 26h}, sessions: {service_account_scopes: [sessions:read]}}
- request: {question: "Who owns PH-7782?"}
  world: {mdm: {devices: [{asset: PH-7782, owner: E-20931, encrypted: false}]}}
`);
    const [first, second] = loadTicketFile(file);
    expect(first).toMatchObject({
      id: "stolen-laptop",
      employeeIds: ["E-10442"],
      assets: ["LT-4821"],
      callsForRevocation: true,
      worldKind: "file",
    });
    expect(first!.world.mdm.sync_lag).toBe(26 * 3_600_000);
    expect(second).toMatchObject({ id: "t0002", employeeIds: ["E-20931"], assets: ["PH-7782"] });
  });

  it("is refused with the file and every bad field", () => {
    const file = write(`
- request: {question: 42}
- request: {question: ok}
  world: {mdm: {sync_lag: soon}}
`);
    expect(() => loadTicketFile(file)).toThrow(ScenarioError);
    try {
      loadTicketFile(file);
    } catch (error) {
      expect((error as Error).message).toContain(`${file}: 0.request.question:`);
      expect((error as Error).message).toContain(`${file}: 1.world.mdm.sync_lag:`);
    }
    expect(() => loadTicketFile(write("[]"))).toThrow(/expected at least one ticket/);
    expect(() => loadTicketFile(join(tempStore().dir, "missing.yaml"))).toThrow(/missing.yaml: \(file\)/);
  });
});
