import { deviceDataSchema, type SynthesisInput, type ToolResult } from "./evidence.ts";
import {
  asSentence,
  deviceNoun,
  MDM_TOOL,
  NO_EVIDENCE_ANSWER,
  REVOKE_TOOL,
  type Claim,
  type IncidentAnswer,
} from "./incident-answer.ts";

/**
 * The weaker model: it reads every tool call as a success, states device data in the present tense,
 * cites only tool results and has no caveats. This is the failure mode the traces must reveal.
 */

/** What one tool result contributes: a claim and a clause for the summary story. */
interface StoryBeat {
  claim: Claim;
  clause: string;
}

function deviceBeat(result: ToolResult, fallbackAsset: string | undefined): StoryBeat {
  const data = deviceDataSchema.safeParse(result.data).data ?? {};
  const asset = data.asset ?? fallbackAsset;
  const device = asset ? `the ${deviceNoun(asset)} ${asset}` : "the device";
  const encrypted = data.encrypted !== false;
  return {
    claim: {
      kind: encrypted ? "device_encrypted" : "device_not_encrypted",
      statement: asSentence(`${device} is ${encrypted ? "encrypted" : "not encrypted"}`),
      evidence: [result.evidence_id],
    },
    clause: `${device} was ${encrypted ? "encrypted" : "not encrypted"}`,
  };
}

function revokeBeat(result: ToolResult): StoryBeat {
  return {
    claim: {
      kind: "sessions_revoked",
      statement: "All of the owner's sessions have been revoked.",
      evidence: [result.evidence_id],
    },
    clause: "all user sessions have been revoked",
  };
}

function beatFor(result: ToolResult, fallbackAsset: string | undefined): StoryBeat | undefined {
  if (result.tool === MDM_TOOL) return deviceBeat(result, fallbackAsset);
  if (result.tool === REVOKE_TOOL) return revokeBeat(result);
  return undefined;
}

export function optimisticAnswer(
  { evidence }: SynthesisInput,
  fallbackAsset: string | undefined,
): IncidentAnswer {
  if (!evidence) return NO_EVIDENCE_ANSWER;
  const beats = evidence.tool_results
    .map((result) => beatFor(result, fallbackAsset))
    .filter((beat) => beat !== undefined);
  const story = beats.map((beat) => beat.clause).join(" and ");
  return {
    summary: story ? asSentence(story) : "The incident is under control; no further action is needed.",
    claims: beats.map((beat) => beat.claim),
    citations: evidence.tool_results.map((result) => result.evidence_id),
    caveats: [],
  };
}
