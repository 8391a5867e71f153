import { afterEach, describe, expect, it } from "vitest";
import { startCassette } from "../../src/whatif/cassettes.ts";
import type { Recording, RecordedToolCall } from "../../src/whatif/recording.ts";

/** A recording with the parts the cassette plays: two model calls and the tool calls given. */
function recording(toolCalls: Omit<RecordedToolCall, "call">[]): Recording {
  return {
    router: {
      model: "sim-small",
      content: "",
      toolCalls: [{ name: "classify_incident", arguments: '{"category":"phishing"}' }],
      promptTokens: 300,
      completionTokens: 40,
    },
    synthesizer: {
      model: "sim-large",
      content: '{"claims":[{"kind":"sessions_revoked","evidence":["tool:call_recorded1"]}]}',
      toolCalls: [],
      promptTokens: 1500,
      completionTokens: 120,
    },
    toolCalls: toolCalls.map((call) => ({ ...call, call: {} })),
  } as unknown as Recording;
}

const LIVE = { llm: "http://127.0.0.1:9/v1", mdm: "http://127.0.0.1:9", sessions: "http://127.0.0.1:9" };
let close: (() => Promise<void>) | undefined;
afterEach(() => close?.());

async function cassette(toolCalls: Omit<RecordedToolCall, "call">[], tools = {}) {
  const started = await startCassette({
    recording: recording(toolCalls),
    synthesizer: "recorded",
    tools,
    live: LIVE,
  });
  close = started.close;
  return started.url;
}

const revoke = (url: string) =>
  fetch(`${url}/v1/employees/E-10442/sessions/revoke`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });

describe("the what-if cassette", () => {
  it("plays a tool call's attempts in order, then its recorded body", async () => {
    const url = await cassette([
      {
        tool: "revoke_sessions",
        callId: "call_recorded1",
        attempts: [{ status: 503 }, { status: 200 }],
        body: { revoked_count: 3 },
      },
    ]);
    expect((await revoke(url)).status).toBe(503);
    const answered = await revoke(url);
    expect(answered.status).toBe(200);
    expect(await answered.json()).toEqual({ revoked_count: 3 });
    // Nothing more was recorded.
    expect((await revoke(url)).status).toBe(404);
  });

  it("replays a refused connection as one, and fresh data as of now", async () => {
    const url = await cassette(
      [
        {
          tool: "revoke_sessions",
          callId: "call_a",
          attempts: [{ failure: "connection_error" }],
          body: null,
        },
        {
          tool: "mdm_lookup_device",
          callId: "call_b",
          attempts: [{ status: 200 }],
          body: { as_of: "2026-01-01T00:00:00.000Z", encrypted: true },
        },
      ],
      { mdm_lookup_device: "fresh" },
    );
    await expect(revoke(url)).rejects.toThrow();
    const before = Date.now();
    const device = (await (await fetch(`${url}/v1/devices/LT-4821`)).json()) as {
      as_of: string;
      encrypted: boolean;
    };
    expect(device.encrypted).toBe(true);
    expect(Date.parse(device.as_of)).toBeGreaterThanOrEqual(before - 1000);
  });

  it("answers the model calls with the recorded replies and token counts, citing the replay's own tool calls", async () => {
    const url = await cassette([
      { tool: "revoke_sessions", callId: "call_recorded1", attempts: [{ status: 200 }], body: {} },
    ]);
    const chat = (body: unknown) =>
      fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const router = (await (
      await chat({
        model: "sim-small",
        tools: [{ type: "function", function: { name: "classify_incident" } }],
      })
    ).json()) as {
      choices: { message: { tool_calls: { function: { arguments: string } }[] } }[];
      usage: { prompt_tokens: number };
    };
    expect(router.choices[0]!.message.tool_calls[0]!.function.arguments).toBe('{"category":"phishing"}');
    expect(router.usage.prompt_tokens).toBe(300);
    const synthesis = (await (
      await chat({
        model: "sim-large",
        messages: [{ role: "user", content: 'evidence_id: "tool:call_9abc12345678"' }],
      })
    ).json()) as { choices: { message: { content: string } }[]; usage: { completion_tokens: number } };
    expect(synthesis.choices[0]!.message.content).toContain("tool:call_9abc12345678");
    expect(synthesis.choices[0]!.message.content).not.toContain("call_recorded1");
    expect(synthesis.usage.completion_tokens).toBe(120);
  });

  it("answers a live call whose service is down with a gateway error, not a crash", async () => {
    const url = await cassette([], { revoke_sessions: "live" });
    const response = await revoke(url);
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: "replay_live_call_failed" });
  });
});
