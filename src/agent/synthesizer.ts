import { z } from "zod";
import { OutputParserException, StructuredOutputParser } from "@langchain/core/output_parsers";
import {
  OpenInferenceSpanKind,
  SemanticConventions as SC,
  MimeType,
} from "@arizeai/openinference-semantic-conventions";
import { inSpan } from "../instrumentation/tracing.ts";
import { ATTR } from "../contracts/semconv.ts";
import type { SYNTHESIZER_PROMPTS } from "../shared/config.ts";
import type { ChatModels, ModelReply } from "./chat-model.ts";
import type { Classification } from "./router.ts";
import type { RetrievedDocument } from "./retriever.ts";
import { CAVEAT_KINDS, CLAIM_KINDS, documentEvidenceId, toolEvidenceId } from "../contracts/vocabulary.ts";
import type { ToolResult } from "./tools/http-tool.ts";
import { SYNTHESIZER_PROMPT } from "./prompts/synthesizer.ts";

export const answerSchema = z.object({
  summary: z.string(),
  claims: z.array(
    z.object({ kind: z.enum(CLAIM_KINDS), statement: z.string(), evidence: z.array(z.string()) }),
  ),
  citations: z.array(z.string()),
  caveats: z.array(z.object({ kind: z.enum(CAVEAT_KINDS), text: z.string(), evidence: z.array(z.string()) })),
});
export type Answer = z.infer<typeof answerSchema>;

/**
 * Structured output through LangChain: the zod schema, as a strict `json_schema` response format
 * (converted once, not at every call), and LangChain's parser, which checks the reply against it.
 */
const RESPONSE_FORMAT = {
  type: "json_schema" as const,
  json_schema: { name: "incident_answer", strict: true, schema: z.toJSONSchema(answerSchema) },
};
const answerParser = StructuredOutputParser.fromZodSchema(answerSchema);

export interface Synthesis {
  answer: Answer;
  /** False when the model's output did not match the schema: the answer then carries no claims. */
  structured: boolean;
  costUsd: number;
}

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

export interface SynthesisInput {
  question: string;
  classification: Classification;
  documents: readonly RetrievedDocument[];
  toolResults: readonly ToolResult[];
  model: string;
  promptVersion: (typeof SYNTHESIZER_PROMPTS)[number];
}

/** Stage 4: one LLM call that turns the evidence into a structured answer. */
export function synthesize(input: SynthesisInput, models: ChatModels): Promise<Synthesis> {
  const { question, classification, model } = input;
  return inSpan(
    "synthesize",
    { kind: OpenInferenceSpanKind.CHAIN, stage: "synthesize", attributes: { [SC.INPUT_VALUE]: question } },
    async (span) => {
      const variables = {
        question,
        category: classification.category,
        severity: classification.severity,
        evidence: JSON.stringify(evidenceOf(input.documents, input.toolResults), null, 2),
      };
      const synthesizer = models.runnable(model, RESPONSE_FORMAT.json_schema.name, (chat) =>
        chat.withConfig({ response_format: RESPONSE_FORMAT }),
      );
      const { answer, structured, costUsd } = await answerOf(
        models.invoke(SYNTHESIZER_PROMPT[input.promptVersion], variables, synthesizer, model),
      );
      span.setAttributes({
        [ATTR.answerClaims]: JSON.stringify(answer.claims.map(({ kind, evidence }) => ({ kind, evidence }))),
        [ATTR.answerCaveats]: JSON.stringify(
          answer.caveats.map(({ kind, evidence }) => ({ kind, evidence })),
        ),
        [ATTR.answerCitations]: answer.citations,
        [ATTR.answerStructured]: structured,
        [SC.OUTPUT_VALUE]: JSON.stringify(answer),
        [SC.OUTPUT_MIME_TYPE]: MimeType.JSON,
      });
      return { answer, structured, costUsd };
    },
  );
}

/**
 * The model's answer. A reply that is not the schema's JSON (a model that ignores `response_format`)
 * becomes an answer without claims, which the diagnosis then flags. Not JSON at all: the `openai`
 * client refuses it and the LLM span fails, with no usage to price. JSON of another shape:
 * LangChain's parser refuses it, and the call's cost still counts.
 */
async function answerOf(reply: Promise<ModelReply>): Promise<Synthesis> {
  let answered: ModelReply;
  try {
    answered = await reply;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    return unstructured(error.message, 0);
  }
  try {
    return {
      answer: await answerParser.parse(answered.message.text),
      structured: true,
      costUsd: answered.costUsd,
    };
  } catch (error) {
    if (!(error instanceof OutputParserException)) throw error;
    return unstructured(error.message, answered.costUsd);
  }
}

function unstructured(reason: string, costUsd: number): Synthesis {
  const summary = `The model's reply did not match the incident_answer schema: ${reason}`;
  return { answer: { summary, claims: [], citations: [], caveats: [] }, structured: false, costUsd };
}
