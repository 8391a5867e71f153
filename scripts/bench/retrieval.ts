import { join } from "node:path";
import type { Evidence } from "../../mock-tools/llm/evidence.ts";
import { loadCorpus, type Runbook } from "../../src/agent/retriever.ts";
import { PROJECT_ROOT } from "../../src/shared/module-form.ts";
import type { Random } from "./random.ts";
import type { Scenario } from "./scenarios.ts";

/** What the retrieve stage returns for a scenario: the real runbook texts, ranked as the index ranks them. */

const CORPUS = loadCorpus(join(PROJECT_ROOT, "runbooks"));
const EXCERPT_CHARS = 600;

/** The documents each retrieval returns, in rank order: [id, version] per index snapshot. */
const RETRIEVALS = {
  lost_or_stolen_device: {
    current: [
      ["device-policy", 2],
      ["stolen-device", 2],
      ["session-revocation", 1],
      ["mdm-usage", 1],
    ],
    "2026-03-01": [
      ["stolen-device", 1],
      ["device-policy", 1],
      ["session-revocation", 1],
      ["mdm-usage", 1],
    ],
  },
  account_compromise: {
    current: [
      ["account-compromise", 1],
      ["session-revocation", 1],
      ["credential-leak", 1],
      ["escalation", 1],
    ],
    "2026-03-01": [
      ["account-compromise", 1],
      ["session-revocation", 1],
      ["credential-leak", 1],
      ["escalation", 1],
    ],
  },
} as const;

const SNAPSHOT_IDS = { current: "idx-2026-11-27-65eb3849", "2026-03-01": "idx-2026-03-01-fce52dc5" };

function runbook(id: string, version: number): Runbook & { currentVersion: number } {
  const versions = CORPUS.filter((doc) => doc.id === id);
  const doc = versions.find((each) => each.version === version);
  if (!doc) throw new Error(`no runbook ${id} v${version} in runbooks/`);
  return { ...doc, currentVersion: Math.max(...versions.map((each) => each.version)) };
}

/** The RETRIEVER span's attributes and the documents as the synthesizer's evidence lists them. */
export function retrieval(
  random: Random,
  question: string,
  { category, indexAsOf }: Scenario,
): { attributes: Record<string, unknown>; documents: Evidence["documents"] } {
  const snapshotId = SNAPSHOT_IDS[indexAsOf];
  const docs = RETRIEVALS[category][indexAsOf].map(([id, version]) => runbook(id, version));
  const attributes: Record<string, unknown> = {
    "input.value": `${question} ${category.replaceAll("_", " ")}`,
    "retrieval.index.snapshot_id": snapshotId,
    "retrieval.index.as_of": indexAsOf === "current" ? "2026-11-27" : indexAsOf,
  };
  let score = random.between(650, 750);
  docs.forEach((doc, index) => {
    const prefix = `retrieval.documents.${index}.document.`;
    attributes[`${prefix}content`] = doc.body.slice(0, EXCERPT_CHARS);
    attributes[`${prefix}id`] = doc.id;
    attributes[`${prefix}metadata`] = JSON.stringify({
      rank: index + 1,
      version: doc.version,
      current_version: doc.currentVersion,
      kind: doc.kind,
      title: doc.title,
      effective: doc.effective,
      index_snapshot_id: snapshotId,
    });
    attributes[`${prefix}score`] = Math.round(score * 1000) / 1000;
    score *= random.between(0.35, 0.95);
  });
  const documents = docs.map((doc) => ({
    evidence_id: `doc:${doc.id}@${doc.version}`,
    doc_id: doc.id,
    version: doc.version,
    kind: doc.kind,
    title: doc.title,
    excerpt: doc.body.slice(0, EXCERPT_CHARS),
  }));
  return { attributes, documents };
}
