import { z } from "zod";
import { TOOL_OUTCOMES } from "../../src/contracts/vocabulary.ts";

/** The evidence block the assistant puts in its synthesis prompt, read leniently. */

const documentSchema = z.looseObject({
  evidence_id: z.string(),
  title: z.string().optional(),
  excerpt: z.string().optional(),
});

const toolResultSchema = z.looseObject({
  evidence_id: z.string(),
  tool: z.string(),
  outcome: z.enum(TOOL_OUTCOMES),
  http_status: z.number().nullish(),
  error_type: z.string().nullish(),
  as_of: z.string().nullish(),
  age_s: z.number().nullish(),
  missing_fields: z.array(z.string()).default([]),
  data: z.unknown(),
});

const evidenceSchema = z.looseObject({
  documents: z.array(documentSchema).default([]),
  tool_results: z.array(toolResultSchema).default([]),
});

export type EvidenceDocument = z.infer<typeof documentSchema>;
export type ToolResult = z.infer<typeof toolResultSchema>;
export type Evidence = z.infer<typeof evidenceSchema>;

/** The MDM record fields the answer uses; any of them may be missing from a partial record. */
export const deviceDataSchema = z.looseObject({
  asset: z.string().optional(),
  encrypted: z.boolean().optional(),
  locked: z.boolean().optional(),
  wiped: z.boolean().optional(),
  as_of: z.string().optional(),
});

export const revokeDataSchema = z.looseObject({
  employee_id: z.string().optional(),
  revoked_count: z.number().optional(),
  revoked_at: z.string().optional(),
  required_scope: z.string().optional(),
});

export interface SynthesisInput {
  /** The user's text before the evidence block. */
  question: string;
  /** Undefined when the block is missing or is not the expected JSON. */
  evidence: Evidence | undefined;
}

const EVIDENCE_HEADING = /^.*evidence.*$/im;
const OPENING_FENCE = /```json[^\S\n]*\n/;
const CLOSING_FENCE = "```";

/**
 * Finds the first ```json block after the line naming the evidence. An excerpt may itself contain a
 * fence, so each closing fence is tried in turn until the text before it parses.
 */
function parseEvidenceBlock(afterHeading: string): unknown {
  const opening = OPENING_FENCE.exec(afterHeading);
  if (!opening) return undefined;
  const body = afterHeading.slice(opening.index + opening[0].length);
  for (let end = body.indexOf(CLOSING_FENCE); end !== -1; end = body.indexOf(CLOSING_FENCE, end + 1)) {
    try {
      return JSON.parse(body.slice(0, end));
    } catch {
      // Not the closing fence yet: keep looking.
    }
  }
  return undefined;
}

export function readSynthesisInput(userText: string): SynthesisInput {
  const heading = EVIDENCE_HEADING.exec(userText);
  if (!heading) return { question: userText.trim(), evidence: undefined };
  const question = userText.slice(0, heading.index).trim();
  const parsed = evidenceSchema.safeParse(parseEvidenceBlock(userText.slice(heading.index)));
  return { question, evidence: parsed.success ? parsed.data : undefined };
}
