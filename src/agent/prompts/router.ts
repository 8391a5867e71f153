import { ChatPromptTemplate } from "@langchain/core/prompts";
import type { VersionedPrompt } from "../chat-model.ts";

/** The router's instructions. Bump the version whenever the text changes. */
export const ROUTER_INSTRUCTIONS = `You are the triage router of a security-incident assistant.
Read the analyst's question and call classify_incident exactly once with:
- category: lost_or_stolen_device, account_compromise, phishing or other;
- severity: low, medium, high or critical (defaults: lost_or_stolen_device high, account_compromise critical, phishing medium, other low);
- employee_ids (E- followed by 4 to 6 digits), asset_tags (such as LT-4821) and owner_name, as written in the question;
- requested_actions: the actions the question asks for or the category's runbook requires (lookup_device, revoke_sessions).`;

const human = "{question}";

/** The router's classification prompt: the instructions, then the analyst's question. */
export const ROUTER_PROMPT: VersionedPrompt = {
  version: "router-v1",
  template: ChatPromptTemplate.fromMessages([
    ["system", ROUTER_INSTRUCTIONS],
    ["human", human],
  ]),
  text: `${ROUTER_INSTRUCTIONS}\n\n${human}`,
};
