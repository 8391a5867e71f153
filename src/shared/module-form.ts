import { existsSync } from "node:fs";
import { dirname, extname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * The project runs in one of two forms: its TypeScript sources through tsx (tests, scripts,
 * `npx tsx`) or the bundles that `npm run build` writes to dist/ (`npm start`, the CLI and the
 * processes they start). This module tells which, so that a process or worker started from here
 * loads its modules in the same form.
 */
const EXTENSION = extname(fileURLToPath(import.meta.url));

/** The project's root (where package.json is), for files that are not modules: scenarios, assets. */
export const PROJECT_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();

/**
 * A module that runs on its own (a process's entry point or a worker's), by its path from the
 * project's root without extension, in this form. Not relative to the caller: in dist/ the caller's
 * code may sit in a chunk that several entry points share.
 */
export const runnableModule = (path: string): URL =>
  pathToFileURL(
    EXTENSION === ".ts" ? join(PROJECT_ROOT, `${path}.ts`) : join(PROJECT_ROOT, "dist", `${path}.js`),
  );

/** Node flags a child process needs to load modules in this form: tsx's loader for the sources. */
export const loaderFlags = (): string[] =>
  EXTENSION === ".ts" ? ["--import", import.meta.resolve("tsx")] : [];
