const POSTGRES_URL = /^postgres(ql)?:\/\//;

/** True when `TRACE_STORE` (or `RESTRICTED_STORE`) names a PostgreSQL database rather than a SQLite file. */
export const isPostgresUrl = (location: string): boolean => POSTGRES_URL.test(location);

/** A URL fit for messages and logs: the password is left out. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres://(unparsable URL)";
  }
}
