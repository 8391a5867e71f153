import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createSecretRedactor } from "../../src/governance/secrets.ts";
import { BASE62, BASE64, BASE64URL, DIGITS, HEX, LOWER, UPPER, base64url, fakeGenerator } from "./fakes.ts";
import { CANARIES } from "../helpers/canaries.ts";

const canaries = CANARIES;
const secretCanaries = canaries.filter((canary) => canary.kind === "secret");

const redactor = createSecretRedactor({});

/** The ways a secret reaches an attribute: alone, in prose, in a JSON body, in a URL query. */
function placements(value: string): Record<string, string> {
  return {
    alone: value,
    prose: `some prefix ${value} suffix`,
    json: JSON.stringify({ question: value }),
    "json in json": JSON.stringify({ body: JSON.stringify({ question: value }) }),
    "url query": `https://assistant.example.com/ask?q=${value}&lang=en`,
    "encoded url query": `https://assistant.example.com/ask?q=${encodeURIComponent(value)}&lang=en`,
  };
}

function expectRedacted(value: string, needle: string) {
  for (const [placement, text] of Object.entries(placements(value))) {
    const redacted = redactor.redact(text);
    expect(redacted, `${placement}: ${text}`).not.toContain(needle);
    expect(redacted, placement).toContain("[REDACTED:");
    expect(redactor.containsSecret(text), placement).toBe(true);
    expect(redactor.redact(redacted), `${placement} is stable`).toBe(redacted);
  }
}

describe("secret canaries", () => {
  it.each(secretCanaries.map((canary) => [canary.label, canary] as const))("redacts %s", (_, canary) => {
    expectRedacted(canary.value, canary.needle);
  });
});

const fake = fakeGenerator(20261127);
const jwtHeader = base64url(JSON.stringify({ alg: "RS256", kid: fake(BASE62, 8) }));
const jwtPayload = base64url(JSON.stringify({ sub: "svc-fake", scope: "mdm:read", exp: 1900000000 }));
const pemBody = Array.from({ length: 4 }, () => fake(BASE64, 64));
const password = `${fake(BASE62, 6)}!${fake(BASE62, 5)}`;
const userinfoPassword = fake(BASE62, 14);
const queryToken = fake(BASE64URL, 32);
const sessionId = fake(HEX, 32);

/** Other values and other shapes of each family than the canaries: [family, text, needle]. */
const generalization: [string, string, string][] = [
  ...[
    ["openai project key", `sk-proj-${fake(BASE64URL, 60)}`],
    ["openai service account key", `sk-svcacct-${fake(BASE64URL, 48)}`],
    ["openai legacy key", `sk-${fake(BASE62, 48)}`],
    ["anthropic key", `sk-ant-api03-${fake(BASE64URL, 93)}AA`],
    ["aws session key id", `ASIA${fake(UPPER + DIGITS, 16)}`],
    ["github oauth token", `gho_${fake(BASE62, 36)}`],
    ["github fine-grained token", `github_pat_${fake(BASE62, 22)}_${fake(BASE62, 59)}`],
    ["gitlab token", `glpat-${fake(BASE64URL, 20)}`],
    ["slack user token", `xoxp-${fake(DIGITS, 11)}-${fake(DIGITS, 12)}-${fake(DIGITS, 13)}-${fake(HEX, 32)}`],
    [
      "slack webhook",
      `https://hooks.slack.com/services/T${fake(UPPER + DIGITS, 8)}/B${fake(UPPER + DIGITS, 10)}/${fake(BASE62, 24)}`,
    ],
    ["stripe restricted key", `rk_live_${fake(BASE62, 24)}`],
    ["stripe test key", `sk_test_${fake(BASE62, 24)}`],
    ["google api key", `AIza${fake(BASE64URL, 35)}`],
    ["npm token", `npm_${fake(BASE62, 36)}`],
    ["sendgrid key", `SG.${fake(BASE64URL, 22)}.${fake(BASE64URL, 43)}`],
    ["twilio api key", `SK${fake(HEX, 32)}`],
    ["hugging face token", `hf_${fake(UPPER + LOWER, 34)}`],
    ["jwt", `${jwtHeader}.${jwtPayload}.${fake(BASE64URL, 43)}`],
    ["unsigned jwt", `${jwtHeader}.${jwtPayload}.`],
    ["unknown vendor, base62", `zq_${fake(BASE62, 40)}`],
    ["unknown vendor, base64", fake(BASE64, 44)],
  ].map(([family, secret]) => [family!, secret!, secret!] as [string, string, string]),
  [
    "pem ec key",
    `-----BEGIN EC PRIVATE KEY-----\n${pemBody.join("\n")}\n-----END EC PRIVATE KEY-----`,
    pemBody[1]!,
  ],
  [
    "pem key with escaped newlines",
    `{"private_key": "-----BEGIN PRIVATE KEY-----\\n${pemBody.join("\\n")}\\n-----END PRIVATE KEY-----\\n"}`,
    pemBody[2]!,
  ],
  [
    "truncated pem key",
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${pemBody[0]}\n${pemBody[3]!.slice(0, 30)}`,
    pemBody[0]!,
  ],
  ["pwd=", `pwd=${password}`, password],
  ["json password", `{"password": "${password}"}`, password],
  ["passwd:", `passwd: ${password}`, password],
  ["secret:", `secret: ${password}`, password],
  [
    "after a JSON-escaped newline",
    JSON.stringify({ log: `line one\npwd=${password}\nBearer ${queryToken}` }),
    password,
  ],
  [
    "vendor key after a JSON-escaped newline",
    JSON.stringify({ env: `A=1\n${"ghp_"}${fake(BASE62, 36)}` }),
    "ghp_",
  ],
  ["yaml password with delimiters", `db:\n  passwd: ${password};&x`, `${password};&x`],
  ["api_key=", `api_key=${password}`, password],
  ["env file", `DB_PASSWORD=${password}\nLOG_LEVEL=info`, password],
  ["yaml client secret", `oauth:\n  client_secret: '${password}'`, password],
  ["camelCase json key", `{"apiKey":"${password}","region":"eu"}`, password],
  ["aws secret key", `AWS_SECRET_ACCESS_KEY: ${fake(BASE64, 40)}`, ""],
  ["postgres url", `postgres://app:${userinfoPassword}@db.internal:5432/incidents`, userinfoPassword],
  ["mongodb url", `mongodb+srv://ops:${userinfoPassword}@cluster0.example.net/x`, userinfoPassword],
  ["redis url without user", `redis://:${userinfoPassword}@cache:6379/0`, userinfoPassword],
  ["basic-auth userinfo", `https://alice:${userinfoPassword}@intranet.example.com/`, userinfoPassword],
  ["?token=", `https://api.example.com/v1/export?token=${queryToken}&format=csv`, queryToken],
  ["?access_token=", `/callback?access_token=${queryToken}`, queryToken],
  ["&api_key=", `https://maps.example.com/v2?q=x&api_key=${queryToken}`, queryToken],
  ["session cookie", `session=${sessionId}; Path=/; HttpOnly`, sessionId],
  ["cookie header", `Cookie: sid=${sessionId}; theme=dark`, sessionId],
  ["set-cookie header", `Set-Cookie: JSESSIONID=${sessionId}; Secure`, sessionId],
  ["authorization bearer", `Authorization: Bearer ${queryToken}`, queryToken],
  ["lower-case bearer", `curl -H "authorization: bearer ${queryToken}" https://x`, queryToken],
  ["bare bearer", `retrying with bearer ${queryToken} after 401`, queryToken],
  [
    "authorization basic",
    `Authorization: Basic ${Buffer.from(`svc:${password}`).toString("base64")}`,
    "Basic c3Zj",
  ],
  [
    "azure connection string",
    `DefaultEndpointsProtocol=https;AccountName=x;AccountKey=${fake(BASE64, 86)}==`,
    "",
  ],
];

describe("generalization to other values and formats", () => {
  it.each(generalization)("redacts %s", (_, text, needle) => {
    // An empty needle: the secret is the text's last token.
    expectRedacted(text, needle || text.slice(text.search(/[A-Za-z0-9+/=]{30,}$/)));
  });

  it("names the kind of each known format", () => {
    const kinds = [
      [`sk-proj-${fake(BASE64URL, 60)}`, "openai_key"],
      [`AKIA${fake(UPPER + DIGITS, 16)}`, "aws_access_key"],
      [`ghp_${fake(BASE62, 36)}`, "github_token"],
      [`xoxb-${fake(DIGITS, 11)}-${fake(BASE62, 24)}`, "slack_token"],
      [`sk_live_${fake(BASE62, 24)}`, "stripe_key"],
      [`${jwtHeader}.${jwtPayload}.${fake(BASE64URL, 43)}`, "jwt"],
      [`password: ${password}`, "password"],
      [`postgres://u:${userinfoPassword}@h/db`, "url_credential"],
      [`Authorization: Basic ${Buffer.from(`u:${password}`).toString("base64")}`, "basic_auth"],
      [`Bearer ${queryToken}`, "bearer"],
      [fake(BASE64, 44), "high_entropy"],
    ];
    for (const [text, kind] of kinds) expect(redactor.redact(text!)).toContain(`[REDACTED:${kind}]`);
  });

  it("keeps keys, schemes and URLs readable", () => {
    expect(redactor.redact(`pwd=${password}`)).toBe("pwd=[REDACTED:password]");
    expect(redactor.redact(`{"password":"${password}","user":"bob"}`)).toBe(
      '{"password":"[REDACTED:password]","user":"bob"}',
    );
    expect(redactor.redact(`postgres://app:${userinfoPassword}@db:5432/x`)).toBe(
      "postgres://app:[REDACTED:url_credential]@db:5432/x",
    );
    expect(redactor.redact(`Authorization: Bearer ${queryToken}`)).toBe(
      "Authorization: Bearer [REDACTED:bearer]",
    );
    expect(redactor.redact(`/cb?token=${queryToken}&state=ok`)).toBe("/cb?token=[REDACTED:token]&state=ok");
  });
});

describe("configured secrets", () => {
  const configured = createSecretRedactor({
    knownSecrets: ["dev-mdm-token", "local key with spaces", "sim"],
  });

  it("redacts a configured value wherever it appears, raw, JSON-escaped or URL-encoded", () => {
    expect(configured.redact("token is dev-mdm-token.")).toBe("token is [REDACTED:configured_credential].");
    expect(configured.redact("x=local%20key%20with%20spaces")).not.toContain("local");
    expect(configured.redact("dev-mdm-token")).toBe("[REDACTED:configured_credential]");
  });

  it("ignores configured values shorter than 8 characters", () => {
    expect(configured.redact("model sim-large via sim")).toBe("model sim-large via sim");
  });
});

/** Identifiers and text this project emits on every trace: they must come out exactly as they went in. */
const notSecrets = [
  "fb5f13c79fd49a25ccc0b750bb33abd0",
  "6ed6ef5d767d8979",
  "3D1219C7C4C5404AAA1F6D2A48ADFDA4",
  "call_8350abe4411d",
  "call_888c9941cdd557b5f3fcbcd1",
  "idx-2026-11-27-65eb3849",
  "chatcmpl-42de6dc9144d81e626f1a656",
  "3c9fb87d-2afc-4a1c-8ae5-5a237842e5c2",
  "2026-11-27T17:06:56.123Z",
  "LT-4821",
  "MBP-31007",
  "E-10442",
  "doc:device-policy@2",
  "tool:call_4e3abb239e83",
  "/work/main/src/telemetry/register.ts",
  "/Users/JohnDoe/Documents2024/IncidentReports/Q3Summary.md",
  ".data/restricted.db",
  "https://mdm.example.com/v1/devices/LT-4821?include=encryption&as_of=2026-11-27T17:06Z",
  "http://127.0.0.1:3000/v1/incidents/ask",
  "sim-large=3:15,sim-small=0.25:1.25",
  "gen_ai.usage.input_tokens",
  "llm.token_count.prompt: 412",
  "max_tokens: 256",
  "incident.config.synthesizer_prompt_version",
  "synthesizer-v2",
  "lost_or_stolen_device",
  "OPENINFERENCE_HIDE_INPUTS",
  "PWD=/work/main",
  "Elena Ruiz (E-10442) reports laptop LT-4821 stolen at the airport. Is it encrypted, and are her sessions revoked?",
  "Listing sessions needs the scope `sessions:read`. Revoking needs the scope `sessions:revoke`.",
  "valid credentials: reset the password and MFA per the account-compromise runbook, then revoke again.",
  "- Production read-only credential: medium.",
  "# Bearer token sent to the model server.",
  "Rotate the token: revoke the old one first.",
  "## Basic setup\n\nUse **Basic** authentication only over TLS; see [the runbook](runbooks/credential-leak.v1.md).",
  "The password is stored in the vault; never paste it here.",
  '{"summary":"LT-4821 was encrypted as of 2026-11-27T17:06Z.","citations":["doc:device-policy@2","tool:call_8350abe4411d"]}',
  "at Object.<anonymous> (/work/main/src/agent/pipeline.ts:43:12)",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0",
];

describe("false positives", () => {
  it.each(notSecrets)("leaves %j unchanged", (text) => {
    expect(redactor.redact(text)).toBe(text);
    expect(redactor.containsSecret(text)).toBe(false);
  });

  it("leaves every string of a recorded healthy trace unchanged", () => {
    const trace: unknown = JSON.parse(
      readFileSync(new URL("../diagnosis/fixtures/healthy-trace.json", import.meta.url), "utf8"),
    );
    expect(redactor.redactDeep(trace)).toBe(trace);
  });

  it("leaves placeholders and masked values alone", () => {
    for (const text of ['{"password": null}', "password=********", "token: <token>", "api_key=${API_KEY}"]) {
      expect(redactor.redact(text)).toBe(text);
    }
  });
});

describe("redactDeep", () => {
  it("redacts values under credential keys, secret keys, and secrets anywhere in strings", () => {
    const githubToken = `ghp_${fake(BASE62, 36)}`;
    const input = {
      "session.id": "3c9fb87d-2afc-4a1c-8ae5-5a237842e5c2",
      "gen_ai.usage.input_tokens": 412,
      headers: {
        authorization: `Bearer ${queryToken}`,
        cookie: `sid=${sessionId}`,
        accept: "application/json",
      },
      config: { db: { password, port: 5432 }, apiKey: 31337, flags: [true, null] },
      args: ["--token", queryToken, "--verbose"],
      [githubToken]: "a key that is itself a secret",
      notes: [`found ${githubToken} in a log line`],
      credentials: { user: "svc-mdm", secret: { value: password } },
    };
    expect(redactor.redactDeep(input)).toEqual({
      "session.id": "3c9fb87d-2afc-4a1c-8ae5-5a237842e5c2",
      "gen_ai.usage.input_tokens": 412,
      headers: {
        authorization: "Bearer [REDACTED:bearer]",
        cookie: "[REDACTED:cookie]",
        accept: "application/json",
      },
      config: {
        db: { password: "[REDACTED:password]", port: 5432 },
        apiKey: "[REDACTED:api_key]",
        flags: [true, null],
      },
      args: ["--token", "[REDACTED:token]", "--verbose"],
      "[REDACTED:github_token]": "a key that is itself a secret",
      notes: ["found [REDACTED:github_token] in a log line"],
      credentials: { user: "[REDACTED:credential]", secret: { value: "[REDACTED:secret]" } },
    });
    expect(input.config.db.password).toBe(password);
  });

  it("returns unchanged values as they are, without copying", () => {
    const attributes = { "route.name": "strong", "llm.token_count.total": 1200, tags: ["a", "b"] };
    expect(redactor.redactDeep(attributes)).toBe(attributes);
    expect(redactor.redactDeep("strong")).toBe("strong");
    expect(redactor.redactDeep(42)).toBe(42);
  });
});
