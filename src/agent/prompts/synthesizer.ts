import { ChatPromptTemplate } from "@langchain/core/prompts";
import type { SYNTHESIZER_PROMPTS } from "../../shared/config.ts";
import type { VersionedPrompt } from "../chat-model.ts";

/**
 * Versioned synthesizer prompt templates. v1 is the template in use during the stolen-laptop
 * incident; v2 adds the rules whose absence let the answer claim success anyway.
 */
const v1 = `You are a security-incident assistant helping an analyst.
Using the runbooks and tool results provided, answer the analyst's question with a concise, reassuring summary.
List the outcomes as claims, each with the evidence ids it rests on, and cite your sources.
Respond with JSON matching the incident_answer schema.`;

const v2 = `You are a security-incident assistant helping an analyst. Answer from the evidence only.
Rules:
1. Report each tool's outcome exactly: a failed or partial tool call is reported as failed or partial, with its HTTP status or error.
2. State the age of device data: device state comes from an inventory snapshot, so give its as-of time, and add a stale_data caveat citing the tool result when it is older than one hour.
3. Never claim an action succeeded unless its tool returned success.
4. Cite every document and tool result you rely on by its evidence id, the device policy included.
Respond with JSON matching the incident_answer schema: a summary, claims from the closed vocabulary each with evidence ids, citations, and caveats.`;

export const SYNTHESIZER_SYSTEM_PROMPTS = { v1, v2 } as const;

export const SYNTHESIZER_USER_TEMPLATE = `Question: {question}
Incident: {category}, severity {severity}
Evidence (JSON):
\`\`\`json
{evidence}
\`\`\``;

const versioned = (version: (typeof SYNTHESIZER_PROMPTS)[number]): VersionedPrompt => ({
  version: `synthesizer-${version}`,
  template: ChatPromptTemplate.fromMessages([
    ["system", SYNTHESIZER_SYSTEM_PROMPTS[version]],
    ["human", SYNTHESIZER_USER_TEMPLATE],
  ]),
  text: `${SYNTHESIZER_SYSTEM_PROMPTS[version]}\n\n${SYNTHESIZER_USER_TEMPLATE}`,
});

export const SYNTHESIZER_PROMPT = { v1: versioned("v1"), v2: versioned("v2") } as const;
