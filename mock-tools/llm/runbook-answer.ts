import { classifyIncident } from "./classifier.ts";
import type { EvidenceDocument, SynthesisInput } from "./evidence.ts";
import { asSentence, type IncidentAnswer } from "./incident-answer.ts";

/**
 * The answer to an incident with no tool to call (a phishing report, most questions without an asset
 * tag): what the best-ranked runbook says to do, citing it. Both models answer this way; a question
 * that is not about an incident at all gets a caveat instead of advice.
 */

/** Runbooks cited beside the one the answer follows. */
const MAX_CITED = 2;
const MAX_STEPS = 3;

/** "Get the original message", ...: the bold lead of each numbered step the excerpt reaches. */
function stepsOf(document: EvidenceDocument): string[] {
  const steps = [...(document.excerpt ?? "").matchAll(/^\s*\d+\.\s+\*\*([^*]+?)\.?\*\*/gm)];
  return steps.map((step) => (step[1] ?? "").trim()).slice(0, MAX_STEPS);
}

/** What the excerpt is for, when it names no step: its first sentence after the heading. */
function firstSentence(document: EvidenceDocument): string | undefined {
  const prose = (document.excerpt ?? "").replace(/^#.*$/gm, "").trim();
  return prose.split(/(?<=[.!?])\s/)[0]?.trim() || undefined;
}

const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);

export function runbookAnswer({ question, evidence }: SynthesisInput): IncidentAnswer {
  const documents = evidence?.documents ?? [];
  const [first] = documents;
  if (classifyIncident(question).category === "other" || !first) {
    return {
      summary:
        "This does not look like a security incident the runbooks cover, so there is nothing to act on; ask the on-call analyst if it is one.",
      claims: [],
      citations: [],
      caveats: [
        { kind: "unverified", text: "No runbook or tool result covers this question.", evidence: [] },
      ],
    };
  }
  const title = first.title ?? first.evidence_id;
  const steps = stepsOf(first);
  const advice =
    steps.length > 0
      ? `Follow ${title} (${first.evidence_id}): ${steps.map(lowerFirst).join("; ")}`
      : `According to ${title} (${first.evidence_id}): ${firstSentence(first) ?? "see the runbook"}`;
  return {
    summary: asSentence(advice),
    claims: [],
    citations: documents.slice(0, MAX_CITED).map((document) => document.evidence_id),
    caveats: [],
  };
}
