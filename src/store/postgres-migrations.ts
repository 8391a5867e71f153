import { SPAN_COUNTS_MIGRATION } from "./migrations.ts";

/**
 * PostgreSQL's schema versions, applied in order under an advisory lock (replicas may start
 * together); `schema_version` records how many have run. Never edit a shipped one. The tables are
 * SQLite's (src/store/migrations.ts) at its latest version, in PostgreSQL's types.
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `CREATE TABLE spans (
     trace_id TEXT NOT NULL,
     span_id TEXT NOT NULL,
     parent_span_id TEXT,
     name TEXT NOT NULL,
     service TEXT NOT NULL,
     span_kind TEXT NOT NULL,
     oi_kind TEXT,
     start_ns BIGINT NOT NULL,
     end_ns BIGINT NOT NULL,
     status_code TEXT NOT NULL,
     status_message TEXT,
     attributes TEXT NOT NULL,
     events TEXT NOT NULL,
     links TEXT NOT NULL,
     resource TEXT NOT NULL,
     scope TEXT,
     PRIMARY KEY (trace_id, span_id)
   );
   CREATE INDEX spans_roots ON spans (start_ns) WHERE parent_span_id IS NULL;

   CREATE TABLE annotations (
     id BIGSERIAL PRIMARY KEY,
     trace_id TEXT NOT NULL,
     span_id TEXT,
     span_key TEXT GENERATED ALWAYS AS (coalesce(span_id, '')) STORED,
     name TEXT NOT NULL,
     annotator_kind TEXT NOT NULL CHECK (annotator_kind IN ('HUMAN', 'CODE', 'LLM')),
     label TEXT,
     score DOUBLE PRECISION,
     explanation TEXT,
     identifier TEXT NOT NULL DEFAULT '',
     metadata TEXT NOT NULL DEFAULT '{}',
     created_at TEXT NOT NULL
   );
   CREATE UNIQUE INDEX annotations_upsert ON annotations (trace_id, span_key, name, identifier);

   CREATE TABLE feedback (
     id BIGSERIAL PRIMARY KEY,
     trace_id TEXT NOT NULL,
     outcome TEXT NOT NULL CHECK (outcome IN ('confirmed', 'corrected', 'escalated')),
     comment TEXT,
     received_at TEXT NOT NULL
   );
   CREATE INDEX feedback_trace ON feedback (trace_id);

   CREATE TABLE trace_summaries (
     trace_id TEXT PRIMARY KEY,
     root_span_id TEXT NOT NULL,
     root_name TEXT NOT NULL,
     start_ns BIGINT NOT NULL,
     duration_ms DOUBLE PRECISION NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('OK', 'ERROR')),
     session_id TEXT,
     user_id TEXT,
     category TEXT,
     severity TEXT,
     route TEXT,
     model TEXT,
     routing_policy TEXT,
     prompt_version TEXT,
     experiment_id TEXT,
     experiment_arm TEXT,
     tokens BIGINT NOT NULL DEFAULT 0,
     cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
     verdict TEXT,
     first_bad_stage TEXT,
     finding_count INTEGER NOT NULL DEFAULT 0,
     feedback_outcome TEXT,
     sampling_decision TEXT,
     sampling_reason TEXT,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX summaries_start ON trace_summaries (start_ns);
   CREATE INDEX summaries_model ON trace_summaries (model, start_ns);
   CREATE INDEX summaries_verdict ON trace_summaries (verdict, start_ns);
   CREATE INDEX summaries_feedback ON trace_summaries (feedback_outcome, start_ns);
   CREATE INDEX summaries_route_outcomes
     ON trace_summaries (route, prompt_version, duration_ms, cost_usd, verdict, feedback_outcome);
   CREATE INDEX summaries_experiment ON trace_summaries (experiment_id, experiment_arm, start_ns)
     WHERE experiment_id IS NOT NULL;

   CREATE TABLE trace_findings (
     id BIGSERIAL PRIMARY KEY,
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
   CREATE INDEX documents_latest_uncited ON trace_documents (doc_id, cited) WHERE version = current_version;

   CREATE TABLE experiments (
     id TEXT PRIMARY KEY,
     created_at TEXT NOT NULL,
     report TEXT NOT NULL
   );

   CREATE TABLE trace_claims (
     trace_id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     claimed_until BIGINT NOT NULL
   );
   CREATE INDEX claims_until ON trace_claims (claimed_until);`,
  // The process that answered a question may take over a settler's claim on its trace.
  `ALTER TABLE trace_claims ADD COLUMN answering INTEGER NOT NULL DEFAULT 0;`,
  SPAN_COUNTS_MIGRATION,
];
