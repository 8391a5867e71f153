import { z } from "zod";
import {
  OpenInferenceSpanKind,
  SemanticConventions as SC,
  MimeType,
} from "@arizeai/openinference-semantic-conventions";
import { inSpan } from "../tracing.ts";
import { ATTR } from "../semconv.ts";
import type { LlmClient } from "./llm.ts";
import type { Classification } from "./router.ts";
import { documentEvidenceId, type RetrievedDocument } from "./retriever.ts";
import type { ToolResult } from "./tools/http-tool.ts";
import { SYNTHESIZER_SYSTEM_PROMPTS, SYNTHESIZER_USER_TEMPLATE } from "./prompts/synthesizer.ts";
import { jsonOrText } from "../shared/json.ts";

export const CLAIM_KINDS = [
  "device_encrypted",
  "device_not_encrypted",
  "device_locked",
  "device_wiped",
  "sessions_revoked",
  "sessions_not_revoked",
  "account_disabled",
  "escalated_to_human",
] as const;
export const CAVEAT_KINDS = ["stale_data", "tool_failed", "partial_data", "unverified"] as const;

export const answerSchema = z.object({
  summary: z.string(),
  claims: z.array(
    z.object({ kind: z.enum(CLAIM_KINDS), statement: z.string(), evidence: z.array(z.string()) }),
  ),
  citations: z.array(z.string()),
  caveats: z.array(z.object({ kind: z.enum(CAVEAT_KINDS), text: z.string(), evidence: z.array(z.string()) })),
});
export type Answer = z.infer<typeof answerSchema>;

const RESPONSE_FORMAT = {
  type: "json_schema" as const,
  json_schema: {
    name: "incident_answer",
    strict: true,
    schema: z.toJSONSchema(answerSchema) as Record<string, unknown>,
  },
};

export interface Synthesis {
  answer: Answer;
  /** False when the model's output did not match the schema: the answer then carries no claims. */
  structured: boolean;
  costUsd: number;
}

export const toolEvidenceId = (result: Pick<ToolResult, "callId">) => `tool:${result.callId}`;

/** The evidence block the model sees: documents and tool results, each under its evidence id. */
function evidenceOf(documents: readonly RetrievedDocument[], toolResults: readonly ToolResult[]) {
  return {
    now: new Date().toISOString(),
    documents: documents.map((doc) => ({
      evidence_id: documentEvidenceId(doc),
      doc_id: doc.id,
      version: doc.version,
      kind: doc.kind,
      title: doc.title,
      excerpt: doc.excerpt,
    })),
    tool_results: toolResults.map((result) => ({
      evidence_id: toolEvidenceId(result),
      tool: result.tool,
      outcome: result.outcome,
      http_status: result.httpStatus,
      error_type: result.errorType,
      as_of: result.asOf,
      age_s: result.ageS,
      missing_fields: result.missingFields,
      data: result.data,
    })),
  };
}

const fill = (template: string, variables: Record<string, string>) =>
  template.replace(/\{(\w+)\}/g, (whole, name: string) => variables[name] ?? whole);

/** Stage 4: one LLM call that turns the evidence into a structured answer. */
export function synthesize(
  question: string,
  classification: Classification,
  documents: readonly RetrievedDocument[],
  toolResults: readonly ToolResult[],
  model: string,
  promptVersion: keyof typeof SYNTHESIZER_SYSTEM_PROMPTS,
  llm: LlmClient,
): Promise<Synthesis> {
  return inSpan(
    "synthesize",
    { kind: OpenInferenceSpanKind.CHAIN, stage: "synthesize", attributes: { [SC.INPUT_VALUE]: question } },
    async (span) => {
      const systemPrompt = SYNTHESIZER_SYSTEM_PROMPTS[promptVersion];
      const variables = {
        question,
        category: classification.category,
        severity: classification.severity,
        evidence: JSON.stringify(evidenceOf(documents, toolResults), null, 2),
      };
      const { completion, costUsd } = await llm.chat({
        model,
        messages: [
          { role: "system", content: systemPrompt },
          { role: "user", content: fill(SYNTHESIZER_USER_TEMPLATE, variables) },
        ],
        promptTemplate: {
          template: `${systemPrompt}\n\n${SYNTHESIZER_USER_TEMPLATE}`,
          version: `synthesizer-${promptVersion}`,
          variables,
        },
        responseFormat: RESPONSE_FORMAT,
      });
      const content = completion.choices[0]?.message.content ?? "";
      const parsed = answerSchema.safeParse(jsonOrText(content));
      const answer: Answer = parsed.success
        ? parsed.data
        : { summary: content, claims: [], citations: [], caveats: [] };
      span.setAttributes({
        [ATTR.answerClaims]: JSON.stringify(answer.claims.map(({ kind, evidence }) => ({ kind, evidence }))),
        [ATTR.answerCaveats]: JSON.stringify(
          answer.caveats.map(({ kind, evidence }) => ({ kind, evidence })),
        ),
        [ATTR.answerCitations]: answer.citations,
        [ATTR.answerStructured]: parsed.success,
        [SC.OUTPUT_VALUE]: JSON.stringify(answer),
        [SC.OUTPUT_MIME_TYPE]: MimeType.JSON,
      });
      return { answer, structured: parsed.success, costUsd };
    },
  );
}
