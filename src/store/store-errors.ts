/** A store this process cannot use (unreachable, or migrated by a newer version): said in one line, at start-up. */
export class StoreUnavailableError extends Error {}

/** A process refuses a store whose schema is newer than it knows: another version migrated it. */
export const newerSchema = (location: string, found: number, known: number) =>
  new StoreUnavailableError(
    `the trace store ${location} has schema version ${found}; this version knows ${known}: upgrade it before it can use the store`,
  );
