import { findEntities } from "./entities.ts";
import { readSynthesisInput } from "./evidence.ts";
import { faithfulAnswer } from "./faithful.ts";
import type { IncidentAnswer } from "./incident-answer.ts";
import { optimisticAnswer } from "./optimistic.ts";
import { runbookAnswer } from "./runbook-answer.ts";
import { lastUserText, systemText, type ChatRequest } from "./request.ts";

/**
 * The synthesizer: answers an incident question from the evidence in the prompt. With no tool result,
 * both models answer from the runbooks; otherwise only the strong model given all three instructions
 * below answers faithfully, and the rest tell the optimistic story.
 */

/** Matched case-insensitively, with runs of whitespace and curly apostrophes normalised. */
export const FAITHFUL_INSTRUCTIONS = [
  "report each tool's outcome exactly",
  "state the age of device data",
  "never claim an action succeeded unless its tool returned success",
] as const;

function normalize(text: string): string {
  return text.toLowerCase().replace(/[‘’]/g, "'").replace(/\s+/g, " ");
}

function answersFaithfully(request: ChatRequest): boolean {
  const instructions = normalize(systemText(request));
  return (
    request.model === "sim-large" &&
    FAITHFUL_INSTRUCTIONS.every((instruction) => instructions.includes(instruction))
  );
}

export function answerIncidentQuestion(request: ChatRequest): IncidentAnswer {
  const input = readSynthesisInput(lastUserText(request));
  // When a tool result lacks the asset tag, both models fall back on the one the question names.
  const fallbackAsset = findEntities(input.question).asset_tags[0];
  if (input.evidence && input.evidence.tool_results.length === 0) return runbookAnswer(input);
  return answersFaithfully(request)
    ? faithfulAnswer(input, fallbackAsset)
    : optimisticAnswer(input, fallbackAsset);
}
