import { describe, expect, it } from "vitest";
import { createPseudonymizer } from "../../src/governance/pseudonymize.ts";
import type { PiiKind } from "../../src/governance/pseudonymize.ts";
import { CANARIES } from "../helpers/canaries.ts";

const piiCanaries = CANARIES.filter((canary) => canary.kind === "pii");
const knownNames = piiCanaries
  .filter((canary) => canary.label.includes("name"))
  .map((canary) => canary.value);

const key = Buffer.alloc(32, 1);
const pseudonymizer = createPseudonymizer(key);
const otherKey = createPseudonymizer(Buffer.alloc(32, 2));

describe("pii canaries", () => {
  it.each(piiCanaries.map((canary) => [canary.label, canary] as const))("scrubs %s", (_, canary) => {
    for (const text of [
      canary.value,
      `reported by ${canary.value}, see ticket`,
      JSON.stringify({ q: canary.value }),
    ]) {
      const scrubbed = pseudonymizer.scrub(text, knownNames);
      expect(scrubbed, text).not.toContain(canary.needle);
      expect(scrubbed).toMatch(/(emp|email|name|ip|serial|phone)_[0-9a-f]{10}/);
      expect(pseudonymizer.scrub(text, knownNames), "stable").toBe(scrubbed);
      expect(otherKey.scrub(text, knownNames), "keyed").not.toBe(scrubbed);
      expect(pseudonymizer.scrub(scrubbed, knownNames), "idempotent").toBe(scrubbed);
    }
  });
});

describe("token", () => {
  it("is a prefix and 10 hex of a keyed HMAC, stable per key", () => {
    const token = pseudonymizer.token("employee_id", "E-10442");
    expect(token).toMatch(/^emp_[0-9a-f]{10}$/);
    expect(pseudonymizer.token("employee_id", "E-10442")).toBe(token);
    expect(createPseudonymizer(Buffer.alloc(32, 1)).token("employee_id", "E-10442")).toBe(token);
    expect(otherKey.token("employee_id", "E-10442")).not.toBe(token);
    expect(pseudonymizer.token("employee_id", "E-10443")).not.toBe(token);
  });

  it.each<[PiiKind, string, string]>([
    ["employee_id", " e-10442 ", "E-10442"],
    ["email", "Dagny.Vollmer@Corp.Example.com", "dagny.vollmer@corp.example.com"],
    ["name", "elena  RUIZ", "Elena Ruiz"],
    ["name", "Jose O'Neill", "José O’Neill"],
    ["ip", "2001:DB8:0:0::1", "2001:db8::1"],
    ["serial", "c02mvsm4v1ir", "C02MVSM4V1IR"],
    ["phone", "(415) 555-0852", "+1 415 555 0852"],
    ["phone", "1-415-555-0852", "+14155550852"],
  ])("gives %s spellings %j and %j one token", (kind, a, b) => {
    expect(pseudonymizer.token(kind, a)).toBe(pseudonymizer.token(kind, b));
  });

  it("prefixes each kind", () => {
    const kinds: [PiiKind, string][] = [
      ["employee_id", "emp_"],
      ["email", "email_"],
      ["name", "name_"],
      ["ip", "ip_"],
      ["serial", "serial_"],
      ["phone", "phone_"],
    ];
    for (const [kind, prefix] of kinds)
      expect(pseudonymizer.token(kind, "x")).toMatch(new RegExp(`^${prefix}`));
    expect(pseudonymizer.token("email", "a@b.co")).not.toBe(pseudonymizer.token("name", "a@b.co"));
  });
});

describe("scrub", () => {
  const tokenOf = (kind: PiiKind, value: string) => pseudonymizer.token(kind, value);

  it("replaces each kind of personal data in free text", () => {
    const text =
      "Elena Ruiz (E-10442, elena.ruiz@corp.example.com) called from +44 20 7946 0958 and 415-555-0852; " +
      "MacBook C02XL0GHJGH5 last seen at 203.0.113.7 and fe80::1ff:fe23:4567:890a.";
    expect(pseudonymizer.scrub(text, ["Elena Ruiz"])).toBe(
      `${tokenOf("name", "Elena Ruiz")} (${tokenOf("employee_id", "E-10442")}, ` +
        `${tokenOf("email", "elena.ruiz@corp.example.com")}) called from ${tokenOf("phone", "+44 20 7946 0958")} ` +
        `and ${tokenOf("phone", "415-555-0852")}; MacBook ${tokenOf("serial", "C02XL0GHJGH5")} last seen at ` +
        `${tokenOf("ip", "203.0.113.7")} and ${tokenOf("ip", "fe80::1ff:fe23:4567:890a")}.`,
    );
  });

  it.each([
    ["phone", "555-123-4567"],
    ["phone", "1-415-555-0852"],
    ["phone", "+1 (415) 555-0852"],
    ["phone", "+14155550852"],
    ["phone", "+91 98765 43210"],
    ["phone", "+33 1 23 45 67 89"],
    ["serial", "5CG1234XYZ"],
    ["serial", "FVFXC2ABJ1WK"],
    ["ip", "10.20.30.40"],
    ["ip", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"],
    ["ip", "::ffff:192.0.2.128"],
    ["email", "First.Last+tag@sub.example.co.uk"],
    ["employee_id", "E-1234"],
  ] as [PiiKind, string][])("scrubs the %s %j", (kind, value) => {
    expect(pseudonymizer.scrub(`seen: ${value}, twice`)).toBe(`seen: ${tokenOf(kind, value)}, twice`);
  });

  it("joins one employee across traces and formats", () => {
    const a = pseudonymizer.scrub("revoke sessions of E-10442");
    const b = pseudonymizer.scrub('{"employee_id":"E-10442"}');
    expect(a).toContain(tokenOf("employee_id", "E-10442"));
    expect(b).toContain(tokenOf("employee_id", "E-10442"));
  });

  it("matches known names case-insensitively as whole words, with accents, hyphens and possessives", () => {
    const names = ["Dagny Vollmer-Ashcombe", "José O’Neill"];
    const token = tokenOf("name", "Dagny Vollmer-Ashcombe");
    expect(pseudonymizer.scrub("DAGNY VOLLMER-ASHCOMBE's laptop", names)).toBe(`${token}'s laptop`);
    expect(pseudonymizer.scrub("jose o'neill called", names)).toBe(
      `${tokenOf("name", "José O’Neill")} called`,
    );
    expect(pseudonymizer.scrub("Dagny Vollmer-Ashcombes", names)).toBe("Dagny Vollmer-Ashcombes");
    expect(pseudonymizer.scrub("Dagny Vollmer-Ashcombe-Smith", names)).toBe("Dagny Vollmer-Ashcombe-Smith");
  });

  const nearMisses = [
    "2026-11-27T17:06:56.123Z",
    "at 17:06:56 on 2026-11-27",
    "macOS 15.1, build 24B83, version 1.2.3.4.5, agent v2.3.1.4",
    "asset tags LT-4821 and MBP-31007",
    "trace fb5f13c79fd49a25ccc0b750bb33abd0 span 6ed6ef5d767d8979 host 3D1219C7C4C5404A",
    "INSUFFICIENT_SCOPE and AUTHENTICATION and SHA256 and ISO27001",
    "idx-2026-11-27-65eb3849 call_8350abe4411d chatcmpl-42de6dc9144d81e626f1a656",
    "3c9fb87d-2afc-4a1c-8ae5-5a237842e5c2",
    "doc:device-policy@2 and @opentelemetry/api",
    "1795799515892 ns, 412 tokens, $0.0031",
    "listening on http://127.0.0.1:3000 and [::1]:3000",
    "MAC 00:1a:2b:3c:4d:5e, std::vector, ratio 1:2:3",
    "E-123 and E-1234567 and LE-10442",
    "call 555-0852 or 12-34-56",
  ];

  it.each(nearMisses)("leaves %j unchanged", (text) => {
    expect(pseudonymizer.scrub(text)).toBe(text);
  });
});
