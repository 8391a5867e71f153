/** Schema versions, applied in order; `PRAGMA user_version` records how many have run. Never edit a shipped one. */
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
];
