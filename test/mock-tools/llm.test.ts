import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLlmApp } from "../../mock-tools/llm/app.ts";
import type { Classification } from "../../mock-tools/llm/classifier.ts";
import type { IncidentAnswer } from "../../mock-tools/llm/incident-answer.ts";

let server: Server;
let url: string;
let client: OpenAI;

beforeAll(async () => {
  server = createLlmApp().listen(0, "127.0.0.1");
  await once(server, "listening");
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "test", maxRetries: 0 });
});

afterAll(async () => {
  server.close();
  await once(server, "close");
});

const CLASSIFY_TOOL: OpenAI.ChatCompletionTool = {
  type: "function",
  function: { name: "classify_incident", description: "Classify a security incident.", parameters: {} },
};

async function classify(text: string, model = "sim-large"): Promise<Classification> {
  const completion = await client.chat.completions.create({
    model,
    messages: [
      { role: "system", content: "Classify the incident." },
      { role: "user", content: text },
    ],
    tools: [CLASSIFY_TOOL],
  });
  const call = completion.choices[0]?.message.tool_calls?.[0];
  if (call?.type !== "function") throw new Error("expected a function call");
  return JSON.parse(call.function.arguments) as Classification;
}

describe("GET /v1/models", () => {
  it("lists both models with their prices", async () => {
    const page = await client.models.list();
    expect(page.data).toEqual([
      expect.objectContaining({
        id: "sim-large",
        object: "model",
        owned_by: "mock-tools",
        pricing: { input_per_mtok: 3.0, output_per_mtok: 15.0 },
      }),
      expect.objectContaining({ id: "sim-small", pricing: { input_per_mtok: 0.25, output_per_mtok: 1.25 } }),
    ]);
  });
});

describe("classify_incident", () => {
  it("answers with one deterministic tool call", async () => {
    const request: ChatCompletionCreateParamsNonStreaming = {
      model: "sim-small",
      messages: [{ role: "user", content: "My laptop LT-4821 was stolen." }],
      tools: [CLASSIFY_TOOL],
    };
    const [first, second] = [
      await client.chat.completions.create(request),
      await client.chat.completions.create(request),
    ];
    const choice = first.choices[0];
    expect(choice).toMatchObject({ finish_reason: "tool_calls", message: { content: null, refusal: null } });
    expect(choice?.message.tool_calls).toEqual([
      { id: expect.stringMatching(/^call_[0-9a-f]{24}$/), type: "function", function: expect.any(Object) },
    ]);
    expect(first.id).toMatch(/^chatcmpl-[0-9a-f]{24}$/);
    expect(second.id).toBe(first.id);
    expect(second.choices).toEqual(first.choices);
    expect(first.system_fingerprint).toBe("sim-1");
  });

  it.each([
    ["E-10442 and E-123456", ["E-10442", "E-123456"], []],
    ["E-123 is too short", [], []],
    ["E-1234567 is too long", [], []],
    ["L-482 has one letter", [], []],
    ["ABCD-123 has four letters", [], []],
    ["MBP-31007 and PH-7782", [], ["MBP-31007", "PH-7782"]],
    ["LT-4821, then LT-4821 again, and E-10442 twice: E-10442", ["E-10442"], ["LT-4821"]],
    ["xLT-4821 and LT-48211234 are glued", [], []],
  ])("finds entities in %j", async (text, employeeIds, assetTags) => {
    const result = await classify(text);
    expect(result.employee_ids).toEqual(employeeIds);
    expect(result.asset_tags).toEqual(assetTags);
  });

  it.each([
    ["Elena Ruiz (E-10442) reports her laptop was stolen.", "Elena Ruiz"],
    ["Please lock the phone for Marcus Webb, E-20931, today.", "Marcus Webb"],
    ["Anne-Marie O'Brien's laptop is missing.", "Anne-Marie O'Brien"],
    ["E-10442 reports a lost laptop.", null],
  ])("finds the owner's name in %j", async (text, ownerName) => {
    expect((await classify(text)).owner_name).toBe(ownerName);
  });

  it.each([
    [
      "My laptop was stolen from the car.",
      "lost_or_stolen_device",
      "high",
      ["lookup_device", "revoke_sessions"],
    ],
    [
      "I left behind LT-4821 on the train.",
      "lost_or_stolen_device",
      "high",
      ["lookup_device", "revoke_sessions"],
    ],
    ["Suspicious login from Brazil on my account.", "account_compromise", "critical", ["revoke_sessions"]],
    ["MFA fatigue: dozens of pushes overnight.", "account_compromise", "critical", ["revoke_sessions"]],
    ["I clicked a link in a phishing email.", "phishing", "medium", []],
    ["Phishing mail mentions LT-4821.", "phishing", "medium", []],
    ["The printer on floor 3 is jammed.", "other", "low", []],
    ["Printer PR-1200 keeps rebooting.", "other", "low", ["lookup_device"]],
    [
      "Got a suspicious email; please revoke my sessions to be safe.",
      "phishing",
      "medium",
      ["revoke_sessions"],
    ],
    [
      "My account was hacked, kill all sessions and check MBP-31007.",
      "account_compromise",
      "critical",
      ["lookup_device", "revoke_sessions"],
    ],
  ])("classifies %j", async (text, category, severity, actions) => {
    expect(await classify(text)).toMatchObject({ category, severity, requested_actions: actions });
  });

  it("classifies the same way on both models", async () => {
    const text = "Elena Ruiz (E-10442) reports laptop LT-4821 stolen; sign her out everywhere.";
    expect(await classify(text, "sim-small")).toEqual(await classify(text, "sim-large"));
  });
});

const FAITHFUL_PROMPT = [
  "You are the incident assistant. Answer in the incident_answer format.",
  "Report each tool's outcome exactly. State the age of device data.",
  "Never claim an action succeeded unless its tool returned success.",
].join("\n");
const V1_PROMPT = "You are a helpful incident assistant. Summarize what was done and cite the evidence.";

const POLICY = {
  evidence_id: "doc:device-policy@2",
  doc_id: "device-policy",
  version: 2,
  kind: "policy",
  title: "Lost or stolen device policy",
  excerpt: "Every company device must have full-disk encryption enabled. Devices without it may not be used.",
};
const STALE_MDM = {
  evidence_id: "tool:call_ab12",
  tool: "mdm_lookup_device",
  outcome: "success",
  http_status: 200,
  error_type: null,
  as_of: "2026-11-26T15:00:00.000Z",
  age_s: 93_600,
  missing_fields: [],
  data: {
    asset: "LT-4821",
    serial: "C02XYZ",
    owner: "E-10442",
    owner_name: "Elena Ruiz",
    owner_email: "elena.ruiz@example.com",
    last_seen_ip: "203.0.113.7",
    encrypted: true,
    locked: false,
    wiped: false,
    model: "MacBook Pro 14",
    os: "macOS 15.1",
    as_of: "2026-11-26T15:00:00.000Z",
  },
};
const PARTIAL_MDM = {
  ...STALE_MDM,
  evidence_id: "tool:call_ef56",
  outcome: "partial",
  age_s: 300,
  missing_fields: ["encrypted"],
  data: { ...STALE_MDM.data, encrypted: undefined },
};
const FAILED_MDM = {
  ...STALE_MDM,
  evidence_id: "tool:call_gh78",
  outcome: "error",
  http_status: 503,
  error_type: "unavailable",
  as_of: null,
  age_s: null,
  data: { error: "unavailable" },
};
const FORBIDDEN_REVOKE = {
  evidence_id: "tool:call_cd34",
  tool: "revoke_sessions",
  outcome: "error",
  http_status: 403,
  error_type: "insufficient_scope",
  as_of: null,
  age_s: null,
  missing_fields: [],
  data: { error: "insufficient_scope", required_scope: "sessions:revoke" },
};
const REVOKED = {
  ...FORBIDDEN_REVOKE,
  outcome: "success",
  http_status: 200,
  error_type: null,
  data: { employee_id: "E-10442", revoked_count: 3, revoked_at: "2026-11-27T16:58:00.000Z" },
};

const LT_QUESTION = "Is LT-4821 safe, and were the sessions revoked?";

function synthesisRequest(
  model: string,
  system: string,
  evidence: unknown,
  question = LT_QUESTION,
): ChatCompletionCreateParamsNonStreaming {
  const evidenceBlock = typeof evidence === "string" ? evidence : JSON.stringify(evidence, null, 2);
  return {
    model,
    messages: [
      { role: "system", content: system },
      {
        role: "user",
        content: `Question: ${question}\n\nEvidence:\n\`\`\`json\n${evidenceBlock}\n\`\`\`\n`,
      },
    ],
    response_format: {
      type: "json_schema",
      json_schema: { name: "incident_answer", schema: { type: "object" } },
    },
  };
}

async function answer(
  model: string,
  system: string,
  evidence: unknown,
  question?: string,
): Promise<IncidentAnswer> {
  const completion = await client.chat.completions.create(
    synthesisRequest(model, system, evidence, question),
  );
  expect(completion.choices[0]?.finish_reason).toBe("stop");
  return JSON.parse(completion.choices[0]?.message.content ?? "") as IncidentAnswer;
}

const faithful = (evidence: unknown) => answer("sim-large", FAITHFUL_PROMPT, evidence);
const optimistic = (evidence: unknown) => answer("sim-small", FAITHFUL_PROMPT, evidence);
const kinds = (items: { kind: string }[]) => items.map((item) => item.kind);

describe("incident_answer synthesis", () => {
  const staleAndForbidden = {
    now: "2026-11-27T17:00:00.000Z",
    documents: [POLICY],
    tool_results: [STALE_MDM, FORBIDDEN_REVOKE],
  };

  it("faithful: dates stale device data and reports the failed revocation", async () => {
    const result = await faithful(staleAndForbidden);
    expect(kinds(result.claims)).toEqual(["device_encrypted", "sessions_not_revoked"]);
    expect(result.claims[0]).toEqual({
      kind: "device_encrypted",
      statement: "LT-4821 was encrypted as of 2026-11-26T15:00Z (MDM inventory snapshot).",
      evidence: ["tool:call_ab12"],
    });
    expect(result.claims[1]?.statement).toContain("HTTP 403 insufficient_scope");
    expect(result.caveats).toEqual([
      { kind: "stale_data", text: expect.stringContaining("26h old"), evidence: ["tool:call_ab12"] },
      { kind: "tool_failed", text: expect.stringContaining("HTTP 403"), evidence: ["tool:call_cd34"] },
    ]);
    expect(result.citations).toEqual(["doc:device-policy@2", "tool:call_ab12", "tool:call_cd34"]);
    expect(result.summary).toContain("still active");
    expect(result.summary).toContain("26h");
  });

  it("optimistic: the same evidence becomes a confident story", async () => {
    expect(await optimistic(staleAndForbidden)).toEqual({
      summary: "The laptop LT-4821 was encrypted and all user sessions have been revoked.",
      claims: [
        {
          kind: "device_encrypted",
          statement: "The laptop LT-4821 is encrypted.",
          evidence: ["tool:call_ab12"],
        },
        {
          kind: "sessions_revoked",
          statement: "All of the owner's sessions have been revoked.",
          evidence: ["tool:call_cd34"],
        },
      ],
      citations: ["tool:call_ab12", "tool:call_cd34"],
      caveats: [],
    });
  });

  it("sim-large given the v1 prompt is optimistic", async () => {
    expect(await answer("sim-large", V1_PROMPT, staleAndForbidden)).toEqual(
      await optimistic(staleAndForbidden),
    );
  });

  it("reads the instructions across line breaks, case and curly apostrophes", async () => {
    const reflowed = FAITHFUL_PROMPT.toUpperCase().replace("TOOL'S", "TOOL’S").replaceAll(" ", "\n  ");
    expect(kinds((await answer("sim-large", reflowed, staleAndForbidden)).caveats)).toContain("stale_data");
  });

  it("a record without the encryption status", async () => {
    const evidence = { documents: [POLICY], tool_results: [PARTIAL_MDM] };
    const careful = await faithful(evidence);
    expect(careful.claims).toEqual([]);
    expect(careful.caveats).toEqual([
      {
        kind: "partial_data",
        text: "The MDM record for LT-4821 lacks the encryption status; encryption is unknown.",
        evidence: ["tool:call_ef56"],
      },
    ]);
    expect(kinds((await optimistic(evidence)).claims)).toEqual(["device_encrypted"]);
  });

  it("a failed MDM lookup", async () => {
    const evidence = { documents: [POLICY], tool_results: [FAILED_MDM] };
    const careful = await faithful(evidence);
    expect(careful.claims).toEqual([]);
    expect(careful.caveats).toEqual([
      {
        kind: "tool_failed",
        text: expect.stringContaining("HTTP 503 unavailable"),
        evidence: ["tool:call_gh78"],
      },
    ]);
    expect(careful.summary).toContain("unknown");
    // The tool result lacks the asset, so the story borrows the one in the question.
    expect((await optimistic(evidence)).claims).toEqual([
      {
        kind: "device_encrypted",
        statement: "The laptop LT-4821 is encrypted.",
        evidence: ["tool:call_gh78"],
      },
    ]);
  });

  it("a successful revocation", async () => {
    const result = await faithful({ documents: [], tool_results: [REVOKED] });
    expect(result.claims).toEqual([
      {
        kind: "sessions_revoked",
        statement: "3 sessions of E-10442 were revoked at 2026-11-27T16:58Z.",
        evidence: ["tool:call_cd34"],
      },
    ]);
    expect(result.caveats).toEqual([]);
  });

  it("no tool results: both models answer from the best-ranked runbook, citing it", async () => {
    const phishing = {
      evidence_id: "doc:phishing@1",
      title: "Reported phishing email",
      excerpt:
        "# Reported phishing email\n\nUse this runbook when an employee reports a suspicious email.\n\n## Steps\n\n1. **Get the original message.** Work from the .eml.\n2. **Check who else received it.** Search the gateway.\n3. **Block the sender and the URLs.** At the gateway.\n4. **Reset exposed credentials.** If any.",
    };
    const evidence = { documents: [phishing, POLICY], tool_results: [] };
    const question = "I clicked a link in a phishing email from payroll. What should I do?";
    for (const model of ["sim-large", "sim-small"]) {
      expect(await answer(model, FAITHFUL_PROMPT, evidence, question)).toEqual({
        summary:
          "Follow Reported phishing email (doc:phishing@1): get the original message; check who else received it; block the sender and the URLs.",
        claims: [],
        citations: ["doc:phishing@1", "doc:device-policy@2"],
        caveats: [],
      });
    }
  });

  it("a question that is not about an incident gets a caveat, not advice", async () => {
    const evidence = { documents: [POLICY], tool_results: [] };
    const weather = await answer("sim-small", FAITHFUL_PROMPT, evidence, "What is the weather today?");
    expect(weather).toMatchObject({ claims: [], citations: [] });
    expect(weather.summary).toContain("does not look like a security incident");
    expect(kinds(weather.caveats)).toEqual(["unverified"]);
  });

  it.each([
    ["is not JSON", "{ not json"],
    ["has the wrong shape", { tool_results: "none" }],
  ])("evidence that %s is unverified", async (_case, evidence) => {
    for (const result of [await faithful(evidence), await optimistic(evidence)]) {
      expect(result).toMatchObject({ claims: [], citations: [] });
      expect(result.caveats).toEqual([
        { kind: "unverified", text: "No evidence was provided.", evidence: [] },
      ]);
    }
  });
});

describe("plain replies", () => {
  it("echo the start of the last user message", async () => {
    const completion = await client.chat.completions.create({
      model: "sim-small",
      messages: [{ role: "user", content: "Hello, who are you?" }],
    });
    expect(completion.choices[0]).toMatchObject({
      finish_reason: "stop",
      message: {
        role: "assistant",
        content: 'This is sim-small, a simulated model. You wrote: "Hello, who are you?"',
      },
    });
  });
});

describe("usage", () => {
  const ask = (content: string) =>
    client.chat.completions.create({ model: "sim-large", messages: [{ role: "user", content }] });

  it("counts real tokens, the same way every time", async () => {
    const [first, again, longer] = [
      await ask("My laptop was stolen."),
      await ask("My laptop was stolen."),
      await ask("My laptop was stolen at the airport this morning, along with my badge and my notebook."),
    ];
    expect(first.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(first.usage?.completion_tokens).toBeGreaterThan(0);
    expect(first.usage?.total_tokens).toBe(
      (first.usage?.prompt_tokens ?? 0) + (first.usage?.completion_tokens ?? 0),
    );
    expect(again.usage).toEqual(first.usage);
    expect(longer.usage?.prompt_tokens).toBeGreaterThan(first.usage?.prompt_tokens ?? Infinity);
  });

  it("counts the tool definitions in the prompt", async () => {
    const messages = [{ role: "user" as const, content: "Phishing email received." }];
    const plain = await client.chat.completions.create({ model: "sim-large", messages });
    const withTools = await client.chat.completions.create({
      model: "sim-large",
      messages,
      tools: [CLASSIFY_TOOL],
    });
    expect(withTools.usage?.prompt_tokens).toBeGreaterThan(plain.usage?.prompt_tokens ?? Infinity);
  });
});

describe("streaming", () => {
  it("streams the same content, then a usage chunk", async () => {
    const request = synthesisRequest("sim-large", FAITHFUL_PROMPT, {
      documents: [POLICY],
      tool_results: [STALE_MDM],
    });
    const whole = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({
      ...request,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const content = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
    expect(content).toBe(whole.choices[0]?.message.content);
    expect(chunks.filter((chunk) => chunk.choices[0]?.delta.content).length).toBeGreaterThan(1);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: whole.usage });
  });

  it("streams a tool call as OpenAI does", async () => {
    const request: ChatCompletionCreateParamsNonStreaming = {
      model: "sim-large",
      messages: [{ role: "user", content: "Laptop LT-4821 stolen." }],
      tools: [CLASSIFY_TOOL],
    };
    const whole = await client.chat.completions.create(request);
    const chunks = [];
    for await (const chunk of await client.chat.completions.create({ ...request, stream: true }))
      chunks.push(chunk);
    const [first] = chunks[0]?.choices[0]?.delta.tool_calls ?? [];
    expect(first).toMatchObject({ index: 0, id: expect.stringMatching(/^call_/), type: "function" });
    expect(first?.function?.name).toBe("classify_incident");
    const args = chunks
      .map((chunk) => chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? "")
      .join("");
    const wholeCall = whole.choices[0]?.message.tool_calls?.[0];
    expect(wholeCall?.type === "function" && wholeCall.function.arguments).toBe(args);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("tool_calls");
    expect(chunks.some((chunk) => chunk.usage)).toBe(false);
  });
});

describe("errors", () => {
  const post = (body: string, headers: Record<string, string> = { authorization: "Bearer test" }) =>
    fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });

  it("401 without a bearer token", async () => {
    const response = await post(JSON.stringify({ model: "sim-large", messages: [] }), {});
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: {
        message: expect.any(String),
        type: "invalid_request_error",
        param: null,
        code: "invalid_api_key",
      },
    });
  });

  it("400 naming the bad field", async () => {
    const request = client.chat.completions.create({
      model: "sim-large",
      messages: [{ role: "robot", content: "hi" } as never],
    });
    await expect(request).rejects.toMatchObject({
      status: 400,
      param: "messages.0.role",
      type: "invalid_request_error",
    });
    await expect(client.chat.completions.create({ model: "sim-large", messages: [] })).rejects.toMatchObject({
      status: 400,
      param: "messages",
    });
  });

  it("404 for an unknown model", async () => {
    const request = client.chat.completions.create({
      model: "gpt-9",
      messages: [{ role: "user", content: "hi" }],
    });
    await expect(request).rejects.toMatchObject({ status: 404, code: "model_not_found" });
  });

  it("400 for a body that is not JSON", async () => {
    const response = await post('{"model": ');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { type: "invalid_request_error", param: null } });
  });
});
