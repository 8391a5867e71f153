import type { z } from "zod";
import { traceFiltersSchema, type TraceFilters } from "../store/queries.ts";

/** A form's raw query: what the user typed, kept so the form can show it again. */
export type RawQuery = Record<string, string>;

export type FilterResult<T = TraceFilters> =
  { ok: true; raw: RawQuery; filters: T } | { ok: false; raw: RawQuery; errors: string[] };

/** `2026-11-27T17:40` as a `datetime-local` input sends it: read as UTC, the way the form labels it. */
const LOCAL_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;

export function toIsoTime(value: string): string {
  if (!LOCAL_DATETIME.test(value)) return value;
  return `${value.length === 16 ? `${value}:00` : value}Z`;
}

/** The other way round, for the input's value: it cannot show an offset. */
export function toLocalInput(value: string | undefined): string {
  if (!value) return "";
  const parsed = Date.parse(toIsoTime(value));
  return Number.isNaN(parsed) ? value : new Date(parsed).toISOString().slice(0, 19);
}

/** Express's query values are strings, arrays or objects; a filter form sends one string per field. */
function rawQuery(query: Record<string, unknown>): RawQuery {
  return Object.fromEntries(
    Object.entries(query).map(([key, value]) => [
      key,
      Array.isArray(value) ? String(value[0]) : String(value),
    ]),
  );
}

/**
 * The list filters from a GET form: empty fields mean "any", times may come from `datetime-local`
 * inputs. Validated by the API's own schema, so the viewer and `GET /v1/traces` agree.
 */
export function parseFilters<T extends z.ZodType = typeof traceFiltersSchema>(
  query: Record<string, unknown>,
  schema: T = traceFiltersSchema as unknown as T,
): FilterResult<z.infer<T>> {
  const raw = rawQuery(query);
  const given = Object.fromEntries(
    Object.entries(raw)
      .filter(([, value]) => value !== "")
      .map(([key, value]) => [key, key === "from" || key === "to" ? toIsoTime(value) : value]),
  );
  const result = schema.safeParse(given);
  if (result.success) return { ok: true, raw, filters: result.data };
  return { ok: false, raw, errors: result.error.issues.map(describeIssue) };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") return `Unknown filter: ${issue.keys.join(", ")}.`;
  const field = issue.path.join(".");
  return field ? `${field}: ${issue.message}` : issue.message;
}

/** The same filters as a query string, e.g. for the next page's link. */
export function filterQuery(raw: RawQuery, changes: RawQuery = {}): string {
  const entries = Object.entries({ ...raw, ...changes }).filter(([, value]) => value !== "");
  return entries.length > 0 ? `?${new URLSearchParams(entries)}` : "";
}
