/** A settled claim's `claimed_until`: it never runs out. */
const SETTLED = Number.MAX_SAFE_INTEGER;

/**
 * Spans that arrive after a trace was summarized open it again: the summary says how many it read,
 * and so does its settled claim, which a claimant reads on the row it locks. Counted for existing
 * traces. The same text on both engines.
 */
export const SPAN_COUNTS_MIGRATION = `
  ALTER TABLE trace_summaries ADD COLUMN span_count INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE trace_claims ADD COLUMN settled_spans INTEGER NOT NULL DEFAULT 0;
  UPDATE trace_summaries SET span_count = (SELECT COUNT(*) FROM spans WHERE spans.trace_id = trace_summaries.trace_id);
  UPDATE trace_claims SET settled_spans = COALESCE(
    (SELECT span_count FROM trace_summaries WHERE trace_summaries.trace_id = trace_claims.trace_id), 0)
  WHERE claimed_until = ${SETTLED};`;

/**
 * SQLite's schema versions, applied in order; `PRAGMA user_version` records how many have run. Never
 * edit a shipped one. PostgreSQL's are in src/store/postgres-migrations.ts.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE spans (
     trace_id TEXT NOT NULL,
     span_id TEXT NOT NULL,
     parent_span_id TEXT,
     name TEXT NOT NULL,
     service TEXT NOT NULL,
     span_kind TEXT NOT NULL,
     oi_kind TEXT,
     start_ns INTEGER NOT NULL,
     end_ns INTEGER NOT NULL,
     status_code TEXT NOT NULL,
     status_message TEXT,
     attributes TEXT NOT NULL,
     events TEXT NOT NULL,
     links TEXT NOT NULL,
     resource TEXT NOT NULL,
     scope TEXT,
     PRIMARY KEY (trace_id, span_id)
   ) WITHOUT ROWID;
   CREATE INDEX spans_roots ON spans (start_ns) WHERE parent_span_id IS NULL;

   CREATE TABLE annotations (
     id INTEGER PRIMARY KEY,
     trace_id TEXT NOT NULL,
     span_id TEXT,
     span_key TEXT GENERATED ALWAYS AS (coalesce(span_id, '')) VIRTUAL,
     name TEXT NOT NULL,
     annotator_kind TEXT NOT NULL CHECK (annotator_kind IN ('HUMAN', 'CODE', 'LLM')),
     label TEXT,
     score REAL,
     explanation TEXT,
     identifier TEXT NOT NULL DEFAULT '',
     metadata TEXT NOT NULL DEFAULT '{}',
     created_at TEXT NOT NULL
   );
   CREATE UNIQUE INDEX annotations_upsert ON annotations (trace_id, span_key, name, identifier);

   CREATE TABLE feedback (
     id INTEGER PRIMARY KEY,
     trace_id TEXT NOT NULL,
     outcome TEXT NOT NULL CHECK (outcome IN ('confirmed', 'corrected', 'escalated')),
     comment TEXT,
     received_at TEXT NOT NULL
   );
   CREATE INDEX feedback_trace ON feedback (trace_id);`,
  `CREATE TABLE trace_summaries (
     trace_id TEXT PRIMARY KEY,
     root_span_id TEXT NOT NULL,
     root_name TEXT NOT NULL,
     start_ns INTEGER NOT NULL,
     duration_ms REAL NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('OK', 'ERROR')),
     session_id TEXT,
     user_id TEXT,
     category TEXT,
     severity TEXT,
     route TEXT,
     model TEXT,
     routing_policy TEXT,
     prompt_version TEXT,
     tokens INTEGER NOT NULL DEFAULT 0,
     cost_usd REAL NOT NULL DEFAULT 0,
     verdict TEXT,
     first_bad_stage TEXT,
     finding_count INTEGER NOT NULL DEFAULT 0,
     feedback_outcome TEXT,
     sampling_decision TEXT,
     sampling_reason TEXT,
     updated_at TEXT NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX summaries_start ON trace_summaries (start_ns);
   CREATE INDEX summaries_route ON trace_summaries (route, prompt_version);
   CREATE INDEX summaries_model ON trace_summaries (model, start_ns);
   CREATE INDEX summaries_verdict ON trace_summaries (verdict, start_ns);
   CREATE INDEX summaries_feedback ON trace_summaries (feedback_outcome, start_ns);

   CREATE TABLE trace_findings (
     trace_id TEXT NOT NULL,
     kind TEXT NOT NULL,
     stage TEXT NOT NULL,
     tool TEXT,
     claim TEXT
   );
   CREATE INDEX findings_trace ON trace_findings (trace_id);
   CREATE INDEX findings_kind ON trace_findings (kind, trace_id);

   CREATE TABLE trace_documents (
     trace_id TEXT NOT NULL,
     doc_id TEXT NOT NULL,
     version INTEGER NOT NULL,
     current_version INTEGER,
     kind TEXT,
     rank INTEGER NOT NULL,
     cited INTEGER NOT NULL CHECK (cited IN (0, 1))
   );
   CREATE INDEX documents_trace ON trace_documents (trace_id);
   CREATE INDEX documents_latest_uncited ON trace_documents (doc_id, cited) WHERE version = current_version;`,
  // route-outcomes reads every summary: this covering index serves its GROUP BY and hands each group's
  // durations over already sorted, without a table lookup per trace. It subsumes summaries_route.
  `CREATE INDEX summaries_route_outcomes
     ON trace_summaries (route, prompt_version, duration_ms, cost_usd, verdict, feedback_outcome);
   DROP INDEX summaries_route;`,
  // Spans carry kilobytes of attributes, and SQLite advises WITHOUT ROWID only for rows under about a
  // twentieth of a page: as a rowid table with a unique index on the ids, inserts run about 1.7x faster.
  `CREATE TABLE spans_by_rowid (
     trace_id TEXT NOT NULL,
     span_id TEXT NOT NULL,
     parent_span_id TEXT,
     name TEXT NOT NULL,
     service TEXT NOT NULL,
     span_kind TEXT NOT NULL,
     oi_kind TEXT,
     start_ns INTEGER NOT NULL,
     end_ns INTEGER NOT NULL,
     status_code TEXT NOT NULL,
     status_message TEXT,
     attributes TEXT NOT NULL,
     events TEXT NOT NULL,
     links TEXT NOT NULL,
     resource TEXT NOT NULL,
     scope TEXT
   );
   INSERT INTO spans_by_rowid SELECT * FROM spans ORDER BY start_ns;
   DROP TABLE spans;
   ALTER TABLE spans_by_rowid RENAME TO spans;
   CREATE UNIQUE INDEX spans_ids ON spans (trace_id, span_id);
   CREATE INDEX spans_roots ON spans (start_ns) WHERE parent_span_id IS NULL;`,
  // Experiments tag their traces; the trace list filters by experiment and arm.
  `ALTER TABLE trace_summaries ADD COLUMN experiment_id TEXT;
   ALTER TABLE trace_summaries ADD COLUMN experiment_arm TEXT;
   CREATE INDEX summaries_experiment ON trace_summaries (experiment_id, experiment_arm, start_ns)
     WHERE experiment_id IS NOT NULL;
   CREATE TABLE experiments (
     id TEXT PRIMARY KEY,
     created_at TEXT NOT NULL,
     report TEXT NOT NULL
   );`,
  // Replicas on one store diagnose each trace once: the one holding an unexpired claim does.
  `CREATE TABLE trace_claims (
     trace_id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     claimed_until INTEGER NOT NULL
   );
   CREATE INDEX claims_until ON trace_claims (claimed_until);`,
  // The process that answered a question may take over a settler's claim on its trace.
  `ALTER TABLE trace_claims ADD COLUMN answering INTEGER NOT NULL DEFAULT 0;`,
  SPAN_COUNTS_MIGRATION,
];

/**
 * A claim is taken when there is none, when its owner takes it again (a replay records feedback,
 * then diagnoses once more), when the process that answered the question takes it from a settler
 * (which may have seen part of the trace), or when no claim is live (the last one ran out, or was
 * settled with a summary) and the last summary was made from fewer spans than the claimant read:
 * spans that arrive after a trace was summarized open it again. The conditions read only the claim
 * row, which the statement locks, so two claimants never both win. Both engines run this text;
 * `RETURNING` yields a row only when the claim was taken.
 */
export const CLAIM_TRACE_SQL = `
  INSERT INTO trace_claims (trace_id, owner, claimed_until, answering) VALUES (@traceId, @owner, @until, @answering)
  ON CONFLICT (trace_id) DO UPDATE SET owner = excluded.owner, claimed_until = excluded.claimed_until,
    answering = CASE WHEN excluded.answering = 1 THEN 1 ELSE trace_claims.answering END
  WHERE trace_claims.owner = excluded.owner
     OR (excluded.answering = 1 AND trace_claims.answering = 0)
     OR ((trace_claims.claimed_until < @now OR trace_claims.claimed_until = ${SETTLED})
         AND trace_claims.settled_spans < @spanCount)
  RETURNING trace_id`;

/**
 * Written with the summary: a summarized trace's claim never runs out, so the search for abandoned
 * claims reads only the few that did (through `claims_until`), not every claim ever taken.
 */
export const SETTLE_CLAIM_SQL = `UPDATE trace_claims SET claimed_until = ${SETTLED}, settled_spans = @spanCount
  WHERE trace_id = @traceId`;

/** Claims that ran out before their holder settled them, on traces with spans no summary has read. */
export const ABANDONED_TRACES_SQL = `
  SELECT trace_id FROM trace_claims AS claim
  WHERE claimed_until < @now
    AND settled_spans < (SELECT COUNT(*) FROM spans WHERE spans.trace_id = claim.trace_id)`;

/**
 * Traces with spans that no summary has read: never diagnosed (a crash, say), or given more spans
 * since. Counted through the spans' (trace_id, span_id) index, then one summary lookup per trace.
 */
export const UNDIAGNOSED_TRACES_SQL = `
  SELECT trace_id FROM (SELECT trace_id, COUNT(*) AS stored FROM spans GROUP BY trace_id) AS counted
  WHERE stored > COALESCE(
    (SELECT span_count FROM trace_summaries AS summary WHERE summary.trace_id = counted.trace_id), 0)
  ORDER BY trace_id`;

/** The summary columns a diagnosis writes, and the parameter each takes. */
const SUMMARY_COLUMNS = {
  root_span_id: "@rootSpanId",
  root_name: "@rootName",
  start_ns: "@startNs",
  duration_ms: "@durationMs",
  status: "@status",
  session_id: "@sessionId",
  user_id: "@userId",
  category: "@category",
  severity: "@severity",
  route: "@route",
  model: "@model",
  routing_policy: "@routingPolicy",
  prompt_version: "@promptVersion",
  experiment_id: "@experimentId",
  experiment_arm: "@experimentArm",
  tokens: "@tokens",
  cost_usd: "@costUsd",
  verdict: "@verdict",
  first_bad_stage: "@firstBadStage",
  finding_count: "@findingCount",
  feedback_outcome: "@feedbackOutcome",
  span_count: "@spanCount",
  updated_at: "@updatedAt",
};

/**
 * Writes a trace's summary, unless the one stored was made from more spans: two diagnoses of one
 * trace may overlap (the process that answered takes over a settler's claim), and the one that saw
 * less must not have the last word. The sampling decision is not the summary's: it stays.
 * `RETURNING` yields a row only when the summary was written.
 */
export const UPSERT_SUMMARY_SQL = `
  INSERT INTO trace_summaries (trace_id, ${Object.keys(SUMMARY_COLUMNS).join(", ")})
  VALUES (@traceId, ${Object.values(SUMMARY_COLUMNS).join(", ")})
  ON CONFLICT (trace_id) DO UPDATE SET
    ${Object.keys(SUMMARY_COLUMNS)
      .map((column) => `${column} = excluded.${column}`)
      .join(", ")}
  WHERE excluded.span_count >= trace_summaries.span_count
  RETURNING trace_id`;

/**
 * Records a trace's sampling decision. A kept trace stays kept: its payloads are in the restricted
 * tier, and a later diagnosis of more of its spans (or a replay's) cannot take them back out.
 */
export const SET_SAMPLING_SQL = `
  UPDATE trace_summaries SET sampling_decision = @decision, sampling_reason = @reason
  WHERE trace_id = @traceId AND (@decision = 'kept' OR sampling_decision IS NULL OR sampling_decision <> 'kept')`;

/** Every table that holds rows of a trace: what retention deletes. */
export const TRACE_TABLES = [
  "spans",
  "annotations",
  "feedback",
  "trace_summaries",
  "trace_findings",
  "trace_documents",
  "trace_claims",
] as const;
