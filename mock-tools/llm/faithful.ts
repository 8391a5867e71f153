import { formatAge } from "../../src/contracts/duration.ts";
import {
  deviceDataSchema,
  revokeDataSchema,
  type EvidenceDocument,
  type SynthesisInput,
  type ToolResult,
} from "./evidence.ts";
import {
  asSentence,
  describeFailure,
  MDM_TOOL,
  NO_EVIDENCE_ANSWER,
  REVOKE_TOOL,
  shortTime,
  type Caveat,
  type Claim,
  type IncidentAnswer,
} from "./incident-answer.ts";

/**
 * The careful model: it claims only what a successful tool result shows, dates device data, and turns
 * every failure, gap and stale snapshot into a caveat.
 */

/** Device data older than this is reported as stale. */
const STALE_AFTER_S = 3600;

/** What one tool result contributes to the answer. */
interface Finding {
  claims: Claim[];
  caveats: Caveat[];
  /** One sentence for the summary, or undefined when the result changes nothing worth saying. */
  sentence: string | undefined;
}

function deviceFinding(result: ToolResult, fallbackAsset: string | undefined): Finding {
  const evidence = [result.evidence_id];
  const data = deviceDataSchema.safeParse(result.data).data ?? {};
  const asset = data.asset ?? fallbackAsset ?? "the device";
  if (result.outcome === "error") {
    const failure = describeFailure(result);
    return {
      claims: [],
      caveats: [
        {
          kind: "tool_failed",
          text: `The MDM lookup of ${asset} failed with ${failure}; the device's state is unknown.`,
          evidence,
        },
      ],
      sentence: asSentence(`the state of ${asset} is unknown: the MDM lookup failed with ${failure}`),
    };
  }

  const asOf = data.as_of ?? result.as_of ?? undefined;
  const when = asOf ? ` as of ${shortTime(asOf)}` : "";
  const claims: Claim[] = [];
  const caveats: Caveat[] = [];
  const states: string[] = [];
  if (data.encrypted === undefined) {
    caveats.push({
      kind: "partial_data",
      text: `The MDM record for ${asset} lacks the encryption status; encryption is unknown.`,
      evidence,
    });
  } else {
    const state = data.encrypted ? "encrypted" : "not encrypted";
    states.push(state);
    claims.push({
      kind: data.encrypted ? "device_encrypted" : "device_not_encrypted",
      statement: asSentence(`${asset} was ${state}${when} (MDM inventory snapshot)`),
      evidence,
    });
    if (result.missing_fields.length > 0) {
      caveats.push({
        kind: "partial_data",
        text: `The MDM record for ${asset} lacks ${result.missing_fields.join(", ")}.`,
        evidence,
      });
    }
  }
  if (data.locked) {
    states.push("locked");
    claims.push({ kind: "device_locked", statement: asSentence(`${asset} was locked${when}`), evidence });
  }
  if (data.wiped) {
    states.push("wiped");
    claims.push({ kind: "device_wiped", statement: asSentence(`${asset} was wiped${when}`), evidence });
  }

  const age =
    result.age_s != null && result.age_s > STALE_AFTER_S ? formatAge(result.age_s * 1000) : undefined;
  if (age) {
    caveats.push({
      kind: "stale_data",
      text: `Device data comes from an inventory snapshot ${age} old${asOf ? ` (as of ${shortTime(asOf)})` : ""}; the current state is unverified.`,
      evidence,
    });
  }

  const parts = [
    states.length > 0 ? `${asset} was ${states.join(" and ")}${when}` : undefined,
    data.encrypted === undefined ? `the encryption status of ${asset} is unknown` : undefined,
    age ? `the MDM data is ${age} old, so the current state is unverified` : undefined,
  ];
  return { claims, caveats, sentence: asSentence(parts.filter((part) => part !== undefined).join("; ")) };
}

function revokeFinding(result: ToolResult): Finding {
  const evidence = [result.evidence_id];
  const data = revokeDataSchema.safeParse(result.data).data ?? {};
  if (result.outcome === "error") {
    const failure = describeFailure(result);
    const scope = data.required_scope ? ` (the ${data.required_scope} scope is required)` : "";
    const statement = `Session revocation failed with ${failure}; the sessions are still active.`;
    return {
      claims: [{ kind: "sessions_not_revoked", statement, evidence }],
      caveats: [
        {
          kind: "tool_failed",
          text: `${REVOKE_TOOL} failed with ${failure}${scope}; someone must revoke the sessions by hand.`,
          evidence,
        },
      ],
      sentence: statement,
    };
  }
  const count = data.revoked_count;
  const sessions = count === undefined ? "The sessions" : `${count} ${count === 1 ? "session" : "sessions"}`;
  const owner = data.employee_id ?? "the owner";
  const at = data.revoked_at ? ` at ${shortTime(data.revoked_at)}` : "";
  const statement = `${sessions} of ${owner} ${count === 1 ? "was" : "were"} revoked${at}.`;
  return { claims: [{ kind: "sessions_revoked", statement, evidence }], caveats: [], sentence: statement };
}

/** A tool the answer has no claims for still counts when it failed. */
function otherToolFinding(result: ToolResult): Finding {
  if (result.outcome !== "error") return { claims: [], caveats: [], sentence: undefined };
  const text = `${result.tool} failed with ${describeFailure(result)}.`;
  return {
    claims: [],
    caveats: [{ kind: "tool_failed", text, evidence: [result.evidence_id] }],
    sentence: text,
  };
}

function findingFor(result: ToolResult, fallbackAsset: string | undefined): Finding {
  if (result.tool === MDM_TOOL) return deviceFinding(result, fallbackAsset);
  if (result.tool === REVOKE_TOOL) return revokeFinding(result);
  return otherToolFinding(result);
}

/** With no device or session results, the answer is what the first document says. */
function documentSummary(documents: EvidenceDocument[]): string {
  const first = documents[0];
  if (!first) return "The tool results report nothing about the device or the sessions.";
  const excerpt = first.excerpt?.split(/(?<=[.!?])\s/)[0]?.trim();
  const source = first.title ?? first.evidence_id;
  return excerpt
    ? `No device or session results are available; according to ${source}: ${asSentence(excerpt)}`
    : `No device or session results are available; see ${source}.`;
}

export function faithfulAnswer(
  { evidence }: SynthesisInput,
  fallbackAsset: string | undefined,
): IncidentAnswer {
  if (!evidence || (evidence.documents.length === 0 && evidence.tool_results.length === 0)) {
    return NO_EVIDENCE_ANSWER;
  }
  const findings = evidence.tool_results.map((result) => findingFor(result, fallbackAsset));
  const sentences = findings.map((finding) => finding.sentence).filter((sentence) => sentence !== undefined);
  return {
    summary: sentences.length > 0 ? sentences.join(" ") : documentSummary(evidence.documents),
    claims: findings.flatMap((finding) => finding.claims),
    citations: [...evidence.documents, ...evidence.tool_results].map((item) => item.evidence_id),
    caveats: findings.flatMap((finding) => finding.caveats),
  };
}
