import { z } from "zod";
import { nsToIso, percentile } from "../shared/measures.ts";
import { FEEDBACK_OUTCOMES } from "../contracts/vocabulary.ts";
import type { TraceStore } from "./trace-store.ts";

/** Filters of `GET /v1/traces` and the viewer's list; every one is optional. */
/** Nanoseconds since the epoch fit SQLite's 64-bit integers until 2262-04-11. */
const MAX_NS = 2n ** 63n - 1n;
const MAX_MS = Number(MAX_NS / 1_000_000n);
// zod runs a refinement even after the format check failed: each must accept what it cannot judge.
const storableTime = z.iso
  .datetime({ offset: true })
  .refine((iso) => !(Date.parse(iso) > MAX_MS), { error: "expected a time before 2262-04-11" });
const CURSOR = /^(\d{1,19}):[0-9a-f]{32}$/;

export const traceFiltersSchema = z.strictObject({
  from: storableTime.optional(),
  to: storableTime.optional(),
  route: z.string().max(64).optional(),
  model: z.string().max(128).optional(),
  prompt_version: z.string().max(64).optional(),
  status: z.enum(["OK", "ERROR"]).optional(),
  verdict: z.enum(["supported", "unsupported"]).optional(),
  finding: z.string().max(64).optional(),
  feedback: z.enum([...FEEDBACK_OUTCOMES, "none"]).optional(),
  experiment: z.string().max(64).optional(),
  arm: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** Opaque: the `next_cursor` of the previous page. */
  cursor: z
    .string()
    .refine(
      (cursor) => {
        const startNs = CURSOR.exec(cursor)?.[1];
        return startNs !== undefined && BigInt(startNs) <= MAX_NS;
      },
      { error: "expected the next_cursor of a previous page" },
    )
    .optional(),
});
export type TraceFilters = z.infer<typeof traceFiltersSchema>;

export interface TraceListItem {
  trace_id: string;
  start: string;
  duration_ms: number;
  status: string;
  /** The caller's session (a replay's is `scenario:<id>`). */
  session_id: string | null;
  category: string | null;
  severity: string | null;
  route: string | null;
  model: string | null;
  prompt_version: string | null;
  experiment_id: string | null;
  experiment_arm: string | null;
  tokens: number;
  cost_usd: number;
  verdict: string | null;
  first_bad_stage: string | null;
  finding_count: number;
  /** The earliest finding in pipeline order, what a reader looks at first. */
  first_finding: string | null;
  feedback_outcome: string | null;
}

const toNs = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;

/** Newest first, keyset-paginated on (start, trace id) so deep pages stay as cheap as the first. */
export async function listTraces(
  store: TraceStore,
  filters: TraceFilters,
): Promise<{ traces: TraceListItem[]; next_cursor: string | null }> {
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: filters.limit + 1 };
  const require = (clause: string, name: string, value: unknown) => {
    where.push(clause);
    params[name] = value;
  };
  if (filters.from) require("start_ns >= @from", "from", toNs(filters.from));
  if (filters.to) require("start_ns < @to", "to", toNs(filters.to));
  for (const column of ["route", "model", "prompt_version", "status", "verdict"] as const) {
    const value = filters[column];
    if (value !== undefined) require(`${column} = @${column}`, column, value);
  }
  if (filters.experiment !== undefined)
    require("experiment_id = @experiment", "experiment", filters.experiment);
  if (filters.arm !== undefined) require("experiment_arm = @arm", "arm", filters.arm);
  if (filters.feedback === "none") where.push("feedback_outcome IS NULL");
  else if (filters.feedback) require("feedback_outcome = @feedback", "feedback", filters.feedback);
  if (filters.finding) {
    require("trace_id IN (SELECT trace_id FROM trace_findings WHERE kind = @finding)", "finding", filters.finding);
  }
  if (filters.cursor) {
    const [startNs = "0", traceId = ""] = filters.cursor.split(":");
    where.push("(start_ns, trace_id) < (@cursorStart, @cursorTrace)");
    Object.assign(params, { cursorStart: BigInt(startNs), cursorTrace: traceId });
  }
  // SQLite's rowid orders the findings as they were written; PostgreSQL's findings have an id for it.
  const findingOrder = store.dialect === "sqlite" ? "f.rowid" : "f.id";
  const rows = await store.select<
    Omit<TraceListItem, "start" | "tokens" | "finding_count"> & {
      start_ns: bigint;
      tokens: bigint;
      finding_count: bigint;
    }
  >(
    `SELECT trace_id, start_ns, duration_ms, status, session_id, category, severity, route, model, prompt_version,
              experiment_id, experiment_arm, tokens, cost_usd, verdict, first_bad_stage, finding_count, feedback_outcome,
              (SELECT kind FROM trace_findings AS f WHERE f.trace_id = s.trace_id ORDER BY ${findingOrder} LIMIT 1)
                AS first_finding
       FROM trace_summaries AS s ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
       ORDER BY start_ns DESC, trace_id DESC LIMIT @limit`,
    params,
  );
  const page = rows.slice(0, filters.limit);
  const last = page.at(-1);
  return {
    traces: page.map(({ start_ns, tokens, finding_count, ...row }) => ({
      ...row,
      start: nsToIso(start_ns),
      tokens: Number(tokens),
      finding_count: Number(finding_count),
    })),
    next_cursor: rows.length > filters.limit && last ? `${last.start_ns}:${last.trace_id}` : null,
  };
}

/**
 * The named queries' options: `limit` (the newest rows, 100 unless asked); for route-outcomes,
 * `group_by=arm` (per experiment arm instead of per route) and `experiment` (that experiment's traces only).
 */
export const namedQueryOptionsSchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
  group_by: z.enum(["route", "arm"]).default("route"),
  experiment: z.string().max(64).optional(),
});

export interface NamedQueryOptions {
  /** At most this many rows (the newest traces first); every row when absent. */
  limit?: number;
  group_by?: "route" | "arm";
  experiment?: string | undefined;
}

/** The three questions that motivate the project (SPEC section 8), answered from the summaries. */
export const NAMED_QUERIES = {
  /** Traces where a tool returned non-success but the answer claimed the action succeeded. */
  "tool-failed-answer-claimed-success": (store: TraceStore, { limit }: NamedQueryOptions = {}) =>
    newestFirst(store, limit, {
      all: `SELECT s.trace_id, s.start_ns, s.route, s.model, s.prompt_version, failed.tool, claimed.claim
         FROM trace_findings AS claimed
         JOIN trace_findings AS failed
           ON failed.trace_id = claimed.trace_id AND failed.tool = claimed.tool
          AND failed.kind IN ('tool_error', 'tool_partial')
         JOIN trace_summaries AS s ON s.trace_id = claimed.trace_id
         WHERE claimed.kind IN ('claim_contradicts_tool', 'claim_unsupported')
         ORDER BY s.start_ns DESC`,
      newest: {
        sqlite: `SELECT s.trace_id, s.start_ns, s.route, s.model, s.prompt_version, failed.tool, claimed.claim
         FROM trace_summaries AS s
         CROSS JOIN trace_findings AS claimed
           ON claimed.trace_id = s.trace_id AND claimed.kind IN ('claim_contradicts_tool', 'claim_unsupported')
         CROSS JOIN trace_findings AS failed
           ON failed.trace_id = claimed.trace_id AND failed.tool = claimed.tool
          AND failed.kind IN ('tool_error', 'tool_partial')
         ORDER BY s.start_ns DESC LIMIT @limit`,
        postgres: `SELECT s.trace_id, s.start_ns, s.route, s.model, s.prompt_version, m.tool, m.claim
         FROM trace_summaries AS s CROSS JOIN LATERAL (
           SELECT failed.tool, claimed.claim FROM trace_findings AS claimed
           JOIN trace_findings AS failed
             ON failed.trace_id = claimed.trace_id AND failed.tool = claimed.tool
            AND failed.kind IN ('tool_error', 'tool_partial')
           WHERE claimed.trace_id = s.trace_id AND claimed.kind IN ('claim_contradicts_tool', 'claim_unsupported')
           OFFSET 0) AS m
         ORDER BY s.start_ns DESC LIMIT @limit`,
      },
    }),

  /** Traces where the latest device-policy document was retrieved but not cited. */
  "policy-retrieved-not-cited": (store: TraceStore, { limit }: NamedQueryOptions = {}) =>
    newestFirst(store, limit, {
      all: `SELECT s.trace_id, s.start_ns, s.route, s.model, s.prompt_version, d.doc_id, d.version, d.rank
         FROM trace_documents AS d JOIN trace_summaries AS s ON s.trace_id = d.trace_id
         WHERE d.doc_id = 'device-policy' AND d.version = d.current_version AND d.cited = 0
         ORDER BY s.start_ns DESC`,
      // Each probes a trace's documents by trace id, not the partial index of every uncited policy:
      // SQLite through the unary +, PostgreSQL through `version + 0`, which the index's predicate does not match.
      newest: {
        sqlite: `SELECT s.trace_id, s.start_ns, s.route, s.model, s.prompt_version, d.doc_id, d.version, d.rank
         FROM trace_summaries AS s CROSS JOIN trace_documents AS d ON d.trace_id = s.trace_id
         WHERE +d.doc_id = 'device-policy' AND d.version = d.current_version AND +d.cited = 0
         ORDER BY s.start_ns DESC LIMIT @limit`,
        postgres: `SELECT s.trace_id, s.start_ns, s.route, s.model, s.prompt_version, d.doc_id, d.version, d.rank
         FROM trace_summaries AS s CROSS JOIN LATERAL (
           SELECT doc_id, version, rank FROM trace_documents AS d
           WHERE d.trace_id = s.trace_id AND d.doc_id = 'device-policy' AND d.version + 0 = d.current_version
             AND d.cited = 0
           OFFSET 0) AS d
         ORDER BY s.start_ns DESC LIMIT @limit`,
      },
    }),

  /**
   * Per route and prompt version (or, with `group_by: "arm"`, per experiment and arm): traces, cost,
   * p50/p95 latency, unsupported answers, escalations.
   */
  "route-outcomes": async (
    store: TraceStore,
    { limit, group_by = "route", experiment }: NamedQueryOptions = {},
  ) => {
    const keys = group_by === "arm" ? ["experiment_id", "experiment_arm"] : ["route", "prompt_version"];
    const scope =
      experiment !== undefined
        ? ["experiment_id = @experiment"]
        : group_by === "arm"
          ? ["experiment_id IS NOT NULL"]
          : [];
    const where = (conditions: string[]) =>
      conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "";
    const scoped = experiment !== undefined ? { experiment } : {};
    // Both engines in SQLite's order: no value first, then byte by byte (PostgreSQL: last, by locale).
    const order = store.dialect === "postgres" ? keys.map((key) => `${key} COLLATE "C" NULLS FIRST`) : keys;
    const groupsSql = (percentiles: string) =>
      `SELECT ${keys.join(", ")}, COUNT(*) AS traces, SUM(cost_usd) AS cost_usd,
              SUM(CASE WHEN verdict = 'unsupported' THEN 1 ELSE 0 END) AS unsupported,
              SUM(CASE WHEN feedback_outcome = 'escalated' THEN 1 ELSE 0 END) AS escalations${percentiles}
       FROM trace_summaries ${where(scope)} GROUP BY ${keys.join(", ")} ORDER BY ${order.join(", ")}
       ${limit === undefined ? "" : "LIMIT @limit"}`;
    const params = { ...scoped, ...(limit !== undefined && { limit }) };
    if (store.dialect === "postgres") {
      // PostgreSQL ranks the durations itself: percentile_disc is the nearest-rank percentile of shared/measures.ts.
      const rows = await store.select<RouteOutcomesGroup & { p50_ms: number | null; p95_ms: number | null }>(
        groupsSql(`,
              percentile_disc(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50_ms,
              percentile_disc(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95_ms`),
        params,
      );
      return rows.map(plainNumbers);
    }
    const groups = (await store.select<RouteOutcomesGroup>(groupsSql(""), params)).map(plainNumbers);
    const durationsSql = `SELECT duration_ms FROM trace_summaries
       ${where([...keys.map((key) => `${key} IS NOT DISTINCT FROM @${key}`), ...scope])} ORDER BY duration_ms`;
    return Promise.all(
      groups.map(async (group) => {
        const sorted = await store.selectValues<number>(durationsSql, { ...pick(group, keys), ...scoped });
        return { ...group, p50_ms: percentile(sorted, 50), p95_ms: percentile(sorted, 95) };
      }),
    );
  },
} as const;

/**
 * Rows about traces, newest first. Uncapped, the engine starts from the few matching rows and sorts
 * them. Capped, it walks the summaries from the newest and stops after `limit` rows, so a page costs
 * the same however many traces match: SQLite keeps that join order for a CROSS JOIN, PostgreSQL for a
 * LATERAL subquery it may not flatten (`OFFSET 0`). Left to choose, either read every match first.
 */
async function newestFirst(
  store: TraceStore,
  limit: number | undefined,
  sql: { all: string; newest: Record<TraceStore["dialect"], string> },
) {
  const rows = await store.select(
    limit === undefined ? sql.all : sql.newest[store.dialect],
    limit === undefined ? {} : { limit },
  );
  return rows.map(withStartTime);
}

/** A route-outcomes row before its percentiles: the two grouping columns, then the counts. */
interface RouteOutcomesGroup {
  route?: string | null;
  prompt_version?: string | null;
  experiment_id?: string | null;
  experiment_arm?: string | null;
  traces: number;
  cost_usd: number;
  unsupported: number;
  escalations: number;
}

const pick = (row: object, keys: readonly string[]) =>
  Object.fromEntries(keys.map((key) => [key, (row as Record<string, unknown>)[key]]));

export type NamedQuery = keyof typeof NAMED_QUERIES;
export const isNamedQuery = (name: string): name is NamedQuery => Object.hasOwn(NAMED_QUERIES, name);

function withStartTime(row: unknown) {
  const { start_ns, ...rest } = row as { start_ns: bigint } & Record<string, unknown>;
  return { ...plainNumbers(rest), start: nsToIso(start_ns) };
}

/** Counts and sums come back as bigint (`TraceStore.select`); they are small enough for numbers. */
function plainNumbers<Row extends object>(row: Row): Row {
  return Object.fromEntries(
    Object.entries(row).map(([key, value]) => [key, typeof value === "bigint" ? Number(value) : value]),
  ) as Row;
}
