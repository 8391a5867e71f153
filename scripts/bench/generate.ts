import { ROUTER_INSTRUCTIONS, ROUTER_PROMPT } from "../../src/agent/prompts/router.ts";
import {
  SYNTHESIZER_SYSTEM_PROMPTS,
  SYNTHESIZER_USER_TEMPLATE,
} from "../../src/agent/prompts/synthesizer.ts";
import { faithfulAnswer } from "../../mock-tools/llm/faithful.ts";
import { optimisticAnswer } from "../../mock-tools/llm/optimistic.ts";
import type { Evidence, ToolResult } from "../../mock-tools/llm/evidence.ts";
import type { Device } from "../../src/contracts/world.ts";
import type { FeedbackRecord, SpanRecord } from "../../src/store/trace-store.ts";
import { chatAttributes, type ChatCall } from "./llm-attributes.ts";
import { Random } from "./random.ts";
import {
  ANALYSTS,
  compromiseQuestion,
  DEVICES,
  deviceQuestion,
  SCENARIOS,
  WHERE,
  type Scenario,
} from "./scenarios.ts";
import { addHttpHop, type HttpHop } from "./http-hop.ts";
import { retrieval } from "./retrieval.ts";
import { tool, type ToolRun } from "./tools.ts";
import { exceptionEvent, TraceWriter } from "./trace-writer.ts";

/**
 * Realistic traces of the assistant, deterministic for a seed: the spans each of the four processes
 * writes for one question (route → retrieve → tools → synthesize, with their HTTP hops), attributes
 * shaped and sized like the real ones (the prompts, runbook excerpts and answers are the real texts).
 */

export interface GeneratedTrace {
  traceId: string;
  spans: SpanRecord[];
  feedbackOutcome: FeedbackRecord["outcome"] | null;
}

export interface GenerateOptions {
  count: number;
  seed: number;
  /** Start of the newest trace (ms since the epoch); the others are spread over the `periodMs` before it. */
  endMs?: number;
  periodMs?: number;
}

const DAY_MS = 86_400_000;

export function* generateTraces({
  count,
  seed,
  endMs = Date.UTC(2026, 10, 27, 18),
  periodMs = 30 * DAY_MS,
}: GenerateOptions): Generator<GeneratedTrace> {
  const random = new Random(seed);
  for (let index = 0; index < count; index++) {
    const startMs = Math.floor(endMs - periodMs + ((index + random.next()) * periodMs) / count);
    const startNs = BigInt(startMs) * 1_000_000n + BigInt(random.int(0, 999_999));
    yield new TraceGenerator(random, startNs).generate();
  }
}

/** One trace: each stage writes its spans and moves the clock (ms since the trace started) on. */
class TraceGenerator {
  private readonly writer: TraceWriter;
  private readonly scenario: Scenario;
  private readonly device: Device;
  private readonly question: string;
  private readonly severity: "high" | "critical";
  private readonly route: { name: string; model: string; reason: string };
  private readonly sessionId: string;
  /** session.id and user.id, which every OpenInference span carries. */
  private readonly context: Record<string, string>;
  private clock = 0;

  constructor(
    private readonly random: Random,
    startNs: bigint,
  ) {
    this.writer = new TraceWriter(random, startNs);
    this.scenario = random.weighted(SCENARIOS);
    this.device = random.pick(DEVICES);
    const isDevice = this.scenario.category === "lost_or_stolen_device";
    this.question = isDevice
      ? deviceQuestion(this.device, random.pick(WHERE))
      : compromiseQuestion(this.device);
    this.severity = isDevice ? "high" : "critical";
    this.route =
      this.scenario.routingPolicy === "fast-only"
        ? { name: "fast", model: "sim-small", reason: "fast-only sends every request to the fast route" }
        : {
            name: "strong",
            model: "sim-large",
            reason: `cost-saver keeps ${this.severity} severity on the strong route`,
          };
    this.sessionId = uuid(random);
    this.context = { "session.id": this.sessionId, "user.id": random.pick(ANALYSTS) };
  }

  generate(): GeneratedTrace {
    const { scenario } = this;
    const root = this.writer.add({
      name: "answer_incident",
      parent: null,
      oiKind: "AGENT",
      startMs: 0,
      endMs: 0,
      attributes: {
        ...this.context,
        "input.value": this.question,
        "input.mime_type": "text/plain",
        "incident.request_id": this.sessionId,
        "incident.config.router_prompt_version": ROUTER_PROMPT.version,
        "incident.config.synthesizer_prompt_version": `synthesizer-${scenario.synthesizerPrompt}`,
        "incident.config.routing_policy": scenario.routingPolicy,
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "incident-assistant",
        "gen_ai.conversation.id": this.sessionId,
      },
    });
    this.clock = 0.4;
    this.routeStage(root);
    const documents = this.retrieveStage(root);
    const toolResults = this.toolStage(root);
    const answer = this.synthesizeStage(root, documents, toolResults);
    this.clock += 0.5;
    root.endNs = this.writer.ns(this.clock);
    Object.assign(root.attributes, {
      "incident.category": this.scenario.category,
      "incident.severity": this.severity,
      "route.name": this.route.name,
      "route.model": this.route.model,
      "output.value": answer,
      "output.mime_type": "application/json",
    });
    const feedbackOutcome = this.feedback(root);
    return { traceId: this.writer.traceId, spans: this.writer.spans, feedbackOutcome };
  }

  private routeStage(root: SpanRecord) {
    const start = this.clock;
    const span = this.stageSpan(root, "route", "CHAIN", { "input.value": this.question });
    const isDevice = this.scenario.category === "lost_or_stolen_device";
    const classification = {
      category: this.scenario.category,
      severity: this.severity,
      employee_ids: [this.device.owner],
      asset_tags: isDevice ? [this.device.asset] : [],
      owner_name: this.device.owner_name,
      requested_actions: isDevice ? ["lookup_device", "revoke_sessions"] : ["revoke_sessions"],
    };
    this.chat(span, this.random.latency(650), {
      model: "sim-small",
      system: ROUTER_INSTRUCTIONS,
      user: this.question,
      template: ROUTER_PROMPT.text,
      templateVersion: ROUTER_PROMPT.version,
      variables: { question: this.question },
      output: { toolCall: { name: "classify_incident", arguments: JSON.stringify(classification) } },
    });
    this.clock += 0.3;
    this.end(span, start, {
      "route.policy": this.scenario.routingPolicy,
      "incident.category": this.scenario.category,
      "incident.severity": this.severity,
      "route.name": this.route.name,
      "route.model": this.route.model,
      "route.reason": this.route.reason,
      "output.value": JSON.stringify({
        category: this.scenario.category,
        severity: this.severity,
        route: this.route.name,
        model: this.route.model,
      }),
    });
  }

  private retrieveStage(root: SpanRecord): Evidence["documents"] {
    const { attributes, documents } = retrieval(this.random, this.question, this.scenario);
    const start = this.clock;
    const span = this.stageSpan(root, "retrieve", "RETRIEVER", {});
    this.clock += this.random.latency(3);
    this.end(span, start, attributes);
    return documents;
  }

  private toolStage(root: SpanRecord): ToolResult[] {
    const nowMs = this.writer.epochMs(this.clock);
    const runs: ToolRun[] = [];
    if (this.scenario.category === "lost_or_stolen_device")
      runs.push(tool.lookupDevice(this.random, this.device, this.scenario.mdm, nowMs));
    runs.push(tool.revokeSessions(this.random, this.device, this.scenario.revoke, this.sessionId, nowMs));
    return runs.map((run) => this.toolSpan(root, run));
  }

  private toolSpan(root: SpanRecord, run: ToolRun): ToolResult {
    const start = this.clock;
    const callId = `call_${this.random.hex(16).slice(0, 12)}`;
    const span = this.stageSpan(root, `execute_tool ${run.name}`, "TOOL", {});
    for (const attempt of run.attempts) this.httpHop(span, attempt);
    const output = JSON.stringify(run.data);
    this.end(span, start, {
      "tool.name": run.name,
      "tool.description": run.description,
      "tool.parameters": run.parameters,
      "input.value": JSON.stringify(run.args),
      "input.mime_type": "application/json",
      "tool.id": callId,
      "tool.arguments": JSON.stringify(run.args),
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": run.name,
      "gen_ai.tool.call.id": callId,
      "gen_ai.tool.type": "function",
      "gen_ai.tool.description": run.description,
      "tool.outcome": run.outcome,
      "tool.retries": run.attempts.length - 1,
      "tool.result.missing_fields": run.missingFields,
      ...(run.httpStatus !== null && { "tool.http_status": run.httpStatus }),
      ...run.resultAttributes,
      "output.value": output,
      "output.mime_type": "application/json",
      ...(run.errorType && { "error.type": run.errorType }),
    });
    if (run.outcome === "error") {
      span.statusCode = "ERROR";
      const message = run.errorMessage ?? run.errorType ?? "failed";
      span.statusMessage = message;
      if (run.errorType === "timeout") span.events.push(exceptionEvent(span.endNs, "TimeoutError", message));
    }
    return {
      evidence_id: `tool:${callId}`,
      tool: run.name,
      outcome: run.outcome,
      http_status: run.httpStatus,
      error_type: run.errorType ?? null,
      as_of: run.asOf ?? null,
      age_s: run.ageS ?? null,
      missing_fields: run.missingFields,
      data: run.data,
    };
  }

  private synthesizeStage(
    root: SpanRecord,
    documents: Evidence["documents"],
    toolResults: ToolResult[],
  ): string {
    const start = this.clock;
    const span = this.stageSpan(root, "synthesize", "CHAIN", { "input.value": this.question });
    const evidence = JSON.stringify(
      { now: new Date(this.writer.epochMs(this.clock)).toISOString(), documents, tool_results: toolResults },
      null,
      2,
    );
    const variables = {
      question: this.question,
      category: this.scenario.category,
      severity: this.severity,
      evidence,
    };
    const user = SYNTHESIZER_USER_TEMPLATE.replace(
      /\{(\w+)\}/g,
      (_, name: keyof typeof variables) => variables[name],
    );
    const input = { question: this.question, evidence: { documents, tool_results: toolResults } };
    const faithful = this.route.model === "sim-large" && this.scenario.synthesizerPrompt === "v2";
    const answer = faithful
      ? faithfulAnswer(input, this.device.asset)
      : optimisticAnswer(input, this.device.asset);
    const answerJson = JSON.stringify(answer);
    const system = SYNTHESIZER_SYSTEM_PROMPTS[this.scenario.synthesizerPrompt];
    this.chat(span, this.random.latency(this.route.model === "sim-large" ? 3200 : 1100), {
      model: this.route.model,
      system,
      user,
      template: `${system}\n\n${SYNTHESIZER_USER_TEMPLATE}`,
      templateVersion: `synthesizer-${this.scenario.synthesizerPrompt}`,
      variables,
      output: { content: answerJson },
    });
    this.clock += 0.4;
    const items = (list: { kind: string; evidence: string[] }[]) =>
      JSON.stringify(list.map(({ kind, evidence: ids }) => ({ kind, evidence: ids })));
    this.end(span, start, {
      "incident.answer.claims": items(answer.claims),
      "incident.answer.caveats": items(answer.caveats),
      "incident.answer.citations": answer.citations,
      "incident.answer.structured": true,
      "output.value": answerJson,
      "output.mime_type": "application/json",
    });
    return answerJson;
  }

  /** The analyst's verdict, minutes later: an EVALUATOR span in the same trace, linked to the root. */
  private feedback(root: SpanRecord): FeedbackRecord["outcome"] | null {
    const roll = this.random.next();
    let threshold = 0;
    for (const [outcome, chance] of Object.entries(this.scenario.feedback)) {
      threshold += chance;
      if (roll >= threshold) continue;
      const delayS = this.random.int(120, 3600);
      const startMs = this.clock + delayS * 1000;
      this.writer.add({
        name: "feedback",
        parent: root,
        oiKind: "EVALUATOR",
        startMs,
        endMs: startMs + 0.2,
        attributes: { "feedback.outcome": outcome, "feedback.delay_s": delayS },
        links: [{ traceId: root.traceId, spanId: root.spanId, attributes: { "link.reason": "feedback_on" } }],
      });
      return outcome as FeedbackRecord["outcome"];
    }
    return null;
  }

  private chat(parent: SpanRecord, latencyMs: number, call: ChatCall) {
    const start = this.clock;
    this.clock += 0.3;
    // As the LangChain instrumentation makes it: never the active span, so the HTTP call is its sibling.
    const span = this.writer.add({
      name: "ChatOpenAI",
      parent,
      spanKind: "INTERNAL",
      oiKind: "LLM",
      startMs: start,
      endMs: start,
      attributes: { ...this.context, ...chatAttributes(this.random, call) },
    });
    this.httpHop(parent, {
      method: "POST",
      service: "llm",
      path: "/v1/chat/completions",
      route: "/v1/chat/completions",
      durationMs: latencyMs,
      status: 200,
    });
    this.clock += 0.3;
    span.endNs = this.writer.ns(this.clock);
  }

  private httpHop(parent: SpanRecord, hop: HttpHop) {
    this.clock = addHttpHop(this.writer, parent, this.clock, hop) + 0.3;
  }

  private stageSpan(parent: SpanRecord, name: string, oiKind: string, attributes: Record<string, unknown>) {
    const span = this.writer.add({
      name,
      parent,
      oiKind,
      startMs: this.clock,
      endMs: this.clock,
      attributes: { ...this.context, ...attributes },
    });
    this.clock += 0.2;
    return span;
  }

  private end(span: SpanRecord, startMs: number, attributes: Record<string, unknown>) {
    this.clock = Math.max(this.clock, startMs) + 0.2;
    span.endNs = this.writer.ns(this.clock);
    Object.assign(span.attributes, attributes);
  }
}

function uuid(random: Random): string {
  const hex = random.hex(32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** The first `count` spans of the traces generated from `seed`, `size` at a time, made as they are asked for. */
export function* spanBatches(count: number, seed: number, size: number): Generator<SpanRecord[]> {
  let batch: SpanRecord[] = [];
  let left = count;
  for (const trace of generateTraces({ count: Math.ceil(count / 10), seed })) {
    for (const span of trace.spans) {
      batch.push(span);
      left--;
      if (batch.length === size || left === 0) {
        yield batch;
        batch = [];
      }
      if (left === 0) return;
    }
  }
  if (batch.length > 0) yield batch;
}

export const generateSpans = (count: number, seed: number): SpanRecord[] =>
  [...spanBatches(count, seed, count)].flat();
