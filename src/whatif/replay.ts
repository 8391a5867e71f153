import {
  OpenInferenceSpanKind,
  SemanticConventions as SC,
} from "@arizeai/openinference-semantic-conventions";
import { ROUTING_POLICIES, SYNTHESIZER_PROMPTS, type Config } from "../shared/config.ts";
import { ATTR } from "../contracts/semconv.ts";
import type { Answer } from "../agent/synthesizer.ts";
import { diagnose, type Diagnosis, type Finding } from "../diagnosis/index.ts";
import { governanceFor } from "../governance/runtime.ts";
import { addSpanToStoredTrace } from "../instrumentation/tracing.ts";
import { completeTrace } from "../lifecycle/trace-completion.ts";
import { isUnder } from "../store/wait-for-trace.ts";
import { startRunnerApi } from "../scenarios/runner-api.ts";
import type { RunningServices } from "../services/start-services.ts";
import type { TraceStore } from "../store/trace-store.ts";
import { flushTelemetry } from "../telemetry/handle.ts";
import { readTrace } from "../trace/facts.ts";
import { startCassette, TOOL_ROUTES, type CassettePlan } from "./cassettes.ts";
import { applicableChanges, changeName, isStale, refusedForScope, type Change } from "./changes.ts";
import { readRecording, WhatIfError, type Recording } from "./recording.ts";

export interface WhatIfDiff {
  claims_added: string[];
  claims_removed: string[];
  caveats_added: string[];
  findings_added: string[];
  findings_removed: string[];
}

/** One what-if replay (SPEC section 11): the new trace, its answer and diagnosis, and what changed. */
export interface WhatIfResult {
  original: string;
  replay: string;
  change: string;
  answer: Answer;
  diagnosis: Diagnosis;
  diff: WhatIfDiff;
  fixed: boolean;
}

/**
 * Runs a stored trace's pipeline again with one thing changed. Every stage the change does not touch
 * gets what the trace recorded (the router's output, the tool responses, the synthesizer's answer
 * when nothing it reads changed); the changed part runs live. The replay is a new trace, linked to
 * the original, diagnosed like any other.
 */
export async function whatIf(
  traceId: string,
  change: Change,
  config: Config,
  services: RunningServices,
  store: TraceStore,
  /** Who asked, for the restricted tier's audit log. */
  reader: string,
): Promise<WhatIfResult> {
  const recording = await readRecording(store, governanceFor(config), traceId, reader);
  return replayWith(recording, diagnose(recording.spans), change, config, services, store);
}

/** Every applicable change alone, fixing changes first, then those that remove the most findings. */
export async function whatIfAll(
  traceId: string,
  config: Config,
  services: RunningServices,
  store: TraceStore,
  reader: string,
): Promise<{ original: string; results: WhatIfResult[] }> {
  const recording = await readRecording(store, governanceFor(config), traceId, reader);
  const original = diagnose(recording.spans);
  const results: WhatIfResult[] = [];
  for (const change of applicableChanges(recording.spans, original)) {
    results.push(await replayWith(recording, original, change, config, services, store));
  }
  const rank = (result: WhatIfResult) => [
    result.fixed ? 0 : 1,
    -result.diff.findings_removed.length,
    result.diagnosis.findings.length,
  ];
  results.sort((a, b) => {
    const [left, right] = [rank(a), rank(b)];
    return left.reduce((order, value, index) => order || value - right[index]!, 0);
  });
  return { original: traceId, results };
}

async function replayWith(
  recording: Recording,
  original: Diagnosis,
  change: Change,
  baseConfig: Config,
  services: RunningServices,
  store: TraceStore,
): Promise<WhatIfResult> {
  const config = configFor(recording, change, baseConfig);
  const cassette = await startCassette(planFor(recording, change, services));
  let api: Awaited<ReturnType<typeof startRunnerApi>> | undefined;
  try {
    const cassetteUrls = { llm: `${cassette.url}/v1`, mdm: cassette.url, sessions: cassette.url };
    api = await startRunnerApi(config, { ...services, urls: cassetteUrls }, store);
    const { trace_id: replayId, answer } = await api.ask({
      question: recording.question,
      sessionId: `what-if:${recording.traceId}:${changeName(change)}`,
    });
    await flushTelemetry();
    const replayRoot = await store.rootOf(replayId);
    if (replayRoot) linkToOriginal(replayRoot, recording, change);
    await flushTelemetry();
    const exporting = Object.values(services.started);
    const { spans: replaySpans, diagnosis } = await completeTrace(
      store,
      replayId,
      exporting,
      governanceFor(config),
      cassette
        .relayed()
        .filter((call) => exporting.some((service) => isUnder(call.url, service)))
        .map((call) => call.callId),
    );
    return {
      original: recording.traceId,
      replay: replayId,
      change: changeName(change),
      answer,
      diagnosis,
      diff: diffOf(recording, original, readTrace(replaySpans), diagnosis),
      fixed: diagnosis.verdict === "supported" && original.verdict !== "supported",
    };
  } finally {
    await api?.close();
    await cassette.close();
  }
}

/** The assistant's configuration for the replay: as recorded, but for the change. */
function configFor(recording: Recording, change: Change, base: Config): Config {
  const policy = (ROUTING_POLICIES as readonly string[]).includes(recording.routingPolicy)
    ? (recording.routingPolicy as Config["routingPolicy"])
    : undefined;
  const prompt = (SYNTHESIZER_PROMPTS as readonly string[]).includes(recording.synthesizerPrompt)
    ? (recording.synthesizerPrompt as Config["synthesizerPrompt"])
    : undefined;
  if (!policy || !prompt)
    throw new WhatIfError(
      `trace ${recording.traceId} recorded no routing policy or synthesizer prompt it can replay`,
    );
  return {
    ...base,
    // The route is the policy's choice: the policy that sends everything to the asked-for route.
    routingPolicy:
      change.kind === "route" ? (change.route === "strong" ? "quality-first" : "fast-only") : policy,
    synthesizerPrompt: change.kind === "prompt" ? change.prompt : prompt,
    runbookIndexAsOf: change.kind === "runbooks-current" ? "current" : recording.indexAsOf,
    experimentId: "",
    experimentArm: "",
  };
}

/** What the cassette plays back and what it sends on live. */
function planFor(recording: Recording, change: Change, services: RunningServices): CassettePlan {
  const calls = recording.toolCalls.map((toolCall) => toolCall.call);
  const tools: CassettePlan["tools"] = {};
  if (change.kind === "fresh-data") {
    for (const call of calls.filter(isStale)) tools[call.tool] = "fresh";
  }
  if (change.kind === "restore-scope") {
    for (const call of calls.filter(refusedForScope)) tools[call.tool] = "live";
  }
  if (change.kind === "tool-ok") {
    if (!calls.some((call) => call.tool === change.tool))
      throw new WhatIfError(
        `trace ${recording.traceId} made no ${change.tool} call; it called ${[...new Set(calls.map((call) => call.tool))].join(", ") || "no tool"}`,
      );
    tools[change.tool] = "live";
  }
  // A live tool call may write (a revocation): only ever to the mock services this process started.
  for (const tool of Object.keys(tools).filter((name) => tools[name] === "live")) {
    const service = TOOL_ROUTES.find((route) => route.tool === tool)?.service;
    if (!service || !services.started[service])
      throw new WhatIfError(
        `${changeName(change)} calls ${tool} live, which a replay does only against the mock services it starts; ` +
          `${service ? `${service.toUpperCase()}_URL points at ${services.urls[service]}` : `${tool} has no mock service`}`,
      );
  }
  return {
    recording,
    synthesizer: change.kind === "none" ? "recorded" : "live",
    tools,
    live: services.urls,
  };
}

/**
 * The replay's own span in the new trace, under its root and linked to the original's root: the
 * viewer and Phoenix show where the replay came from, as `replay.of_trace_id`.
 */
function linkToOriginal(
  replayRoot: { traceId: string; spanId: string },
  recording: Recording,
  change: Change,
) {
  addSpanToStoredTrace(
    "what_if_replay",
    replayRoot,
    { to: { traceId: recording.traceId, spanId: recording.rootSpanId }, reason: "replay_of" },
    {
      [SC.OPENINFERENCE_SPAN_KIND]: OpenInferenceSpanKind.CHAIN,
      [ATTR.replayOfTraceId]: recording.traceId,
      [ATTR.replayChange]: changeName(change),
    },
  );
}

const findingKey = (finding: Finding) =>
  finding.tool
    ? `${finding.kind}:${finding.tool}`
    : finding.claim
      ? `${finding.kind}:${finding.claim}`
      : finding.kind;

function diffOf(
  recording: Recording,
  original: Diagnosis,
  replay: ReturnType<typeof readTrace>,
  diagnosis: Diagnosis,
): WhatIfDiff {
  const before = recording.facts.syntheses[0];
  const after = replay.syntheses[0];
  const kinds = (items: { kind: string }[] | undefined) => new Set(items?.map((item) => item.kind) ?? []);
  const minus = (left: Set<string>, right: Set<string>) => [...left].filter((item) => !right.has(item));
  const [claimsBefore, claimsAfter] = [kinds(before?.claims), kinds(after?.claims)];
  const [findingsBefore, findingsAfter] = [
    new Set(original.findings.map(findingKey)),
    new Set(diagnosis.findings.map(findingKey)),
  ];
  return {
    claims_added: minus(claimsAfter, claimsBefore),
    claims_removed: minus(claimsBefore, claimsAfter),
    caveats_added: minus(kinds(after?.caveats), kinds(before?.caveats)),
    findings_added: minus(findingsAfter, findingsBefore),
    findings_removed: minus(findingsBefore, findingsAfter),
  };
}
