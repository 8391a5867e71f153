import { existsSync } from "node:fs";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The project runs in one of two forms: its TypeScript sources through tsx (tests, scripts,
 * `npx tsx`) or the plain JavaScript that `npm run build` writes to dist/ (`npm start`, the CLI and
 * the processes they start). This module tells which, so that a process or worker started from
 * here loads its modules in the same form.
 */
const EXTENSION = extname(fileURLToPath(import.meta.url));

/** The module `name` (a relative path without extension) beside `base`, in this form. */
export const siblingModule = (name: string, base: string): URL => new URL(`${name}${EXTENSION}`, base);

/** Node flags a child process needs to load modules in this form: tsx's loader for the sources. */
export const loaderFlags = (): string[] =>
  EXTENSION === ".ts" ? ["--import", import.meta.resolve("tsx")] : [];

/** The project's root (where package.json is), for files that are not modules: scenarios, assets. */
export const PROJECT_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();
