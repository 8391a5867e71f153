import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import MiniSearch from "minisearch";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { getRetrieverAttributes } from "@arizeai/openinference-core";
import {
  OpenInferenceSpanKind,
  SemanticConventions as SC,
} from "@arizeai/openinference-semantic-conventions";
import { inSpan } from "../instrumentation/tracing.ts";
import { ATTR } from "../contracts/semconv.ts";

const frontMatterSchema = z.object({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
  title: z.string().min(1),
  version: z.int().positive(),
  effective: z.iso.date(),
  kind: z.enum(["runbook", "policy"]),
  owner: z.string().min(1),
  category: z.string().min(1),
});

export type Runbook = z.infer<typeof frontMatterSchema> & { body: string };

export interface RetrievedDocument {
  id: string;
  version: number;
  /** The version in effect today: higher than `version` when the index snapshot is stale. */
  currentVersion: number;
  title: string;
  kind: Runbook["kind"];
  effective: string;
  rank: number;
  score: number;
  excerpt: string;
}

const FRONT_MATTER = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/;
const EXCERPT_CHARS = 600;

/** Reads every `*.md` with front matter in `dir`; all versions of every document. */
export function loadCorpus(dir: string): Runbook[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith(".md") && file !== "README.md")
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), "utf8").replace(/\r\n/g, "\n");
      const match = FRONT_MATTER.exec(text);
      if (!match) throw new Error(`${file}: no front matter`);
      const parsed = frontMatterSchema.safeParse(parseYaml(match[1] ?? ""));
      if (!parsed.success)
        throw new Error(
          `${file}: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`,
        );
      return { ...parsed.data, body: (match[2] ?? "").trim() };
    });
}

/** The versions in effect on `date` (YYYY-MM-DD): per id, the latest version effective on or before it. */
function versionsInEffect(corpus: readonly Runbook[], date: string): Runbook[] {
  const latest = new Map<string, Runbook>();
  for (const doc of corpus) {
    if (doc.effective > date) continue;
    const seen = latest.get(doc.id);
    if (!seen || doc.version > seen.version) latest.set(doc.id, doc);
  }
  return [...latest.values()];
}

/** The version of document `id` in effect on `date` (default today), if any. */
export function versionInEffect(
  corpus: readonly Runbook[],
  id: string,
  date = new Date().toISOString().slice(0, 10),
) {
  return versionsInEffect(corpus, date).find((doc) => doc.id === id)?.version;
}

/**
 * A BM25 index over the runbook versions in effect on one date. Its id names the date and the exact
 * versions it holds, so two traces with the same snapshot id retrieved from the same text.
 */
export class IndexSnapshot {
  readonly id: string;
  readonly asOf: string;
  private readonly search: MiniSearch<Runbook & { key: string }>;
  private readonly docs: Map<string, Runbook>;
  private readonly currentVersions: Map<string, number>;

  constructor(corpus: readonly Runbook[], asOf: "current" | string, today = new Date()) {
    const todayDate = today.toISOString().slice(0, 10);
    this.asOf = asOf === "current" ? todayDate : asOf;
    const held = versionsInEffect(corpus, this.asOf);
    this.currentVersions = new Map(versionsInEffect(corpus, todayDate).map((doc) => [doc.id, doc.version]));
    this.docs = new Map(held.map((doc) => [doc.id, doc]));
    const fingerprint = held
      .map((doc) => `${doc.id}@${doc.version}`)
      .sort()
      .join(",");
    this.id = `idx-${this.asOf}-${createHash("sha256").update(fingerprint).digest("hex").slice(0, 8)}`;
    this.search = new MiniSearch({
      idField: "key",
      fields: ["title", "body", "category"],
      searchOptions: { boost: { title: 2, category: 2 } },
      // "lost_or_stolen_device" is one token to the default tokenizer; split it into words.
      tokenize: (text) => text.split(/[\s\p{P}_]+/u).filter(Boolean),
    });
    this.search.addAll(held.map((doc) => ({ ...doc, key: doc.id })));
  }

  query(text: string, topK: number): RetrievedDocument[] {
    return this.search
      .search(text)
      .slice(0, topK)
      .flatMap((hit, index) => {
        const doc = this.docs.get(String(hit.id));
        if (!doc) return [];
        return [
          {
            id: doc.id,
            version: doc.version,
            currentVersion: this.currentVersions.get(doc.id) ?? doc.version,
            title: doc.title,
            kind: doc.kind,
            effective: doc.effective,
            rank: index + 1,
            score: Math.round(hit.score * 1000) / 1000,
            excerpt: doc.body.slice(0, EXCERPT_CHARS),
          },
        ];
      });
  }
}

/**
 * Stage 2: retrieve runbooks and policy for the question and its category. A RETRIEVER span from
 * openinference-core, not a LangChain retriever: the instrumentation's RETRIEVER spans carry no
 * document id, score or version, which the diagnosis reads.
 */
export function retrieve(
  question: string,
  category: string,
  snapshot: IndexSnapshot,
  topK: number,
): Promise<RetrievedDocument[]> {
  const query = `${question} ${category.replace(/_/g, " ")}`;
  return inSpan(
    "retrieve",
    {
      kind: OpenInferenceSpanKind.RETRIEVER,
      stage: "retrieve",
      attributes: {
        [SC.INPUT_VALUE]: query,
        [ATTR.indexSnapshotId]: snapshot.id,
        [ATTR.indexAsOf]: snapshot.asOf,
      },
    },
    async (span) => {
      const documents = snapshot.query(query, topK);
      span.setAttributes(
        getRetrieverAttributes({
          documents: documents.map((doc) => ({
            id: doc.id,
            score: doc.score,
            content: doc.excerpt,
            metadata: {
              rank: doc.rank,
              version: doc.version,
              current_version: doc.currentVersion,
              kind: doc.kind,
              title: doc.title,
              effective: doc.effective,
              index_snapshot_id: snapshot.id,
            },
          })),
        }),
      );
      return documents;
    },
  );
}
