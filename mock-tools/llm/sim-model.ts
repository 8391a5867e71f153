import { answerIncidentQuestion } from "./answerer.ts";
import { classifyIncident } from "./classifier.ts";
import { lastUserText, type ChatRequest } from "./request.ts";

/** What the simulated model says: plain content, or a single tool call. */
export type ModelOutput =
  { kind: "content"; content: string } | { kind: "tool_call"; name: string; arguments: string };

export const CLASSIFY_TOOL = "classify_incident";
export const ANSWER_FORMAT = "incident_answer";

const ECHO_WORDS = 12;

function offersTool(request: ChatRequest, name: string): boolean {
  const offered = request.tools?.some((tool) => tool.function.name === name) ?? false;
  return offered && request.tool_choice !== "none";
}

function asksForFormat(request: ChatRequest, name: string): boolean {
  const format = request.response_format;
  return format?.type === "json_schema" && format.json_schema.name === name;
}

function echoReply(request: ChatRequest): string {
  const words = lastUserText(request).split(/\s+/).filter(Boolean);
  const opening = words.slice(0, ECHO_WORDS).join(" ") + (words.length > ECHO_WORDS ? " …" : "");
  return `This is ${request.model}, a simulated model. You wrote: "${opening}"`;
}

/** Decides from the request alone: classify when offered the tool, answer when asked for the schema, else echo. */
export function simulate(request: ChatRequest): ModelOutput {
  if (offersTool(request, CLASSIFY_TOOL)) {
    const args = classifyIncident(lastUserText(request));
    return { kind: "tool_call", name: CLASSIFY_TOOL, arguments: JSON.stringify(args) };
  }
  if (asksForFormat(request, ANSWER_FORMAT)) {
    return { kind: "content", content: JSON.stringify(answerIncidentQuestion(request)) };
  }
  return { kind: "content", content: echoReply(request) };
}
