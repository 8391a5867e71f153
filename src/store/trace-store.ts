import { isPostgresUrl } from "../shared/postgres.ts";
import type { AnnotationRecord, FeedbackRecord, SpanRecord, SpanRow } from "./records.ts";
import type { TraceSummary } from "./summary-row.ts";
import type { ExperimentReport, StoredExperiment } from "./experiment-row.ts";

export type { AnnotationRecord, FeedbackRecord, SpanRecord, SpanRow } from "./records.ts";

/** Named parameters (`@name` in the SQL text) of `TraceStore.select`. */
export type SqlParams = Record<string, unknown>;

/**
 * The trace backend: spans, annotations, feedback, trace summaries and experiments. Two engines
 * keep it (src/store/sqlite-store.ts, the embedded default, and src/store/postgres-store.ts, shared
 * by many replicas); `openTraceStore` picks one from `TRACE_STORE`. Every method is asynchronous
 * because one of them talks to a server.
 */
export interface TraceStore {
  readonly dialect: "sqlite" | "postgres";
  /** Where it is, for messages: a file path, or a URL without its password. */
  readonly location: string;

  /**
   * Stores spans; returns how many were new. Ingest is append-only: a span whose trace and span id
   * are already stored is refused, never replaced.
   */
  addSpans(spans: readonly SpanRecord[]): Promise<number>;
  /** The same for spans already serialized by `toSpanRow`, perhaps in another thread. */
  addRows(rows: readonly SpanRow[]): Promise<number>;
  spansOf(traceId: string): Promise<SpanRecord[]>;
  /**
   * The earliest span whose parent is not in the store: the trace's root, even when the trace
   * continued a caller's traceparent; undefined while no span of it has arrived (the rule of
   * `rootOf` in src/trace/request.ts, without loading the trace's spans).
   */
  rootOf(traceId: string): Promise<SpanRecord | undefined>;
  traceIds(): Promise<string[]>;
  /** Traces with spans no summary has read: never diagnosed (after a crash, say), or given more spans since. */
  undiagnosedTraceIds(): Promise<string[]>;
  /** How many spans the trace's summary was made from; undefined while it has none. */
  summarizedSpanCount(traceId: string): Promise<number | undefined>;
  hasTrace(traceId: string): Promise<boolean>;

  /**
   * Claims the right to diagnose a trace: true for one process at a time across every process on the
   * store, until the lease runs out (its holder died) or the trace is summarized, and again when more
   * spans are stored than its summary read. A process that answered the question holds the whole
   * trace: its claim takes over a settler's, whose view may have been partial.
   */
  claimTrace(traceId: string, claim: TraceClaim): Promise<boolean>;
  /** Traces whose claim ran out before anyone summarized them: their diagnoser died mid-way. */
  abandonedTraceIds(now?: number): Promise<string[]>;

  upsertAnnotation(annotation: AnnotationRecord): Promise<void>;
  /**
   * Replaces every annotation of one kind on a trace, in one transaction: a new diagnosis (CODE)
   * leaves none of an earlier one's findings behind, and human annotations stay.
   */
  replaceAnnotations(
    traceId: string,
    annotatorKind: AnnotationRecord["annotatorKind"],
    annotations: readonly AnnotationRecord[],
  ): Promise<void>;
  annotationsOf(traceId: string): Promise<AnnotationRecord[]>;
  addFeedback(feedback: FeedbackRecord): Promise<void>;
  feedbackOf(traceId: string): Promise<FeedbackRecord[]>;
  setFeedbackOutcome(traceId: string, outcome: string): Promise<void>;
  /**
   * Replaces the trace's summary row, its findings, its documents and its CODE annotations (the
   * diagnosis's) in one transaction; false, and nothing written, when the stored summary was made
   * from more spans. One transaction: two diagnoses of a trace can overlap, and the one of more spans
   * must keep both its summary and its annotations.
   */
  upsertSummary(summary: TraceSummary, codeAnnotations: readonly AnnotationRecord[]): Promise<boolean>;
  /** Records the tail-sampling decision about the trace's raw payloads, and why. */
  setSampling(traceId: string, decision: "kept" | "dropped", reason: string): Promise<void>;
  /**
   * Deletes up to `limit` traces that started before `cutoffNs`, with everything attached to them.
   * Returns how many it deleted; call again until it returns 0, so other writers never wait long.
   */
  deleteTracesStartedBefore(cutoffNs: bigint, limit?: number): Promise<number>;

  saveExperiment(report: ExperimentReport, createdAt?: Date): Promise<void>;
  /** Experiment runs, newest first. */
  experiments(limit?: number): Promise<StoredExperiment[]>;
  experiment(id: string): Promise<StoredExperiment | undefined>;

  /**
   * Rows of a read-only query over the summary tables (src/store/queries.ts). Integers come back as
   * bigint on both engines; `@name` marks a parameter.
   */
  select<Row>(sql: string, params?: SqlParams): Promise<Row[]>;
  /** The first column of each row, without building a row object (a query of 100,000 durations, say). */
  selectValues<Value>(sql: string, params?: SqlParams): Promise<Value[]>;
  close(): Promise<void>;
}

export interface TraceClaim {
  /** This process, among every replica on the store. */
  owner: string;
  leaseMs: number;
  /** The spans the claimant read: a summary made from fewer no longer stands in its way. */
  spanCount: number;
  now?: number;
  /** Claimed by the process that answered the question (`completeTrace`), not by a settler. */
  answering?: boolean;
}

export interface TraceStoreOptions {
  /**
   * For SQLite connections on an event loop that must stay free: SQLite's automatic checkpoint copies
   * the WAL into the database file and fsyncs it inside a commit, a stall of about 10 ms every 4 MB
   * written. With this option a worker thread checkpoints instead (src/store/checkpointer.ts).
   */
  backgroundCheckpoints?: boolean;
  /**
   * PostgreSQL connections this store may hold at once (8 unless told). A writer that commits one
   * batch at a time needs one: every replica runs several processes, and a server's connections are few.
   */
  maxConnections?: number;
}

/** Opens the store `location` names: a `postgres://` URL or a SQLite file path (`:memory:` too). */
export async function openTraceStore(location: string, options: TraceStoreOptions = {}): Promise<TraceStore> {
  if (isPostgresUrl(location)) {
    const { PostgresTraceStore } = await import("./postgres-store.ts");
    return PostgresTraceStore.open(location, options.maxConnections);
  }
  const { SqliteTraceStore } = await import("./sqlite-store.ts");
  return new SqliteTraceStore(location, options);
}
