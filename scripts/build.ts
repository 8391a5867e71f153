/**
 * Bundles the project's runnable modules into plain JavaScript in dist/, for `npm start`, `npm run cli`
 * and the processes they start. Node then loads them without tsx's loader hooks (a second of each
 * process's start-up), and without resolving and reading some 500 files of node_modules one by one:
 * a mock service's telemetry loaded in 0.31 s of CPU bundled, 0.57 s as one file per module. Code that
 * several entry points use sits in shared chunks, so each process holds one copy of every module (the
 * LangChain callback manager the instrumentation patches is the one the app calls). Types are checked by
 * `npm run typecheck`, not here.
 *
 *   node --import tsx scripts/build.ts
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DIST = join(ROOT, "dist");
/** Every module a process or worker starts from (`runnableModule` in src/shared/module-form.ts). */
const ENTRY_POINTS = [
  "src/cli.ts",
  "src/telemetry/register.ts",
  "src/api/otlp-ingest-worker.ts",
  "src/api/otlp-store-writer.ts",
  "mock-tools/llm/main.ts",
  "mock-tools/mdm/main.ts",
  "mock-tools/sessions/main.ts",
  // The bench runs compiled too, its assistant as `npm start` runs it.
  "scripts/bench.ts",
  "scripts/bench/overhead.ts",
  "scripts/bench/otlp-senders.ts",
];
/** Native addons (better-sqlite3, koffi), and pg's optional native driver, which this project does not install. */
const EXTERNAL = ["better-sqlite3", "koffi", "pg-native"];

/**
 * Builds dist/. Unchanged files are left alone, for the processes running from them; files no
 * longer built are removed.
 */
export async function buildDist(): Promise<void> {
  const { outputFiles } = await build({
    entryPoints: ENTRY_POINTS.map((entry) => join(ROOT, entry)),
    outdir: DIST,
    outbase: ROOT,
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    splitting: true,
    // Class names are data here: LangChain names a run (and so its span) after its class, ChatOpenAI.
    keepNames: true,
    // Stack traces point into the bundles; NODE_OPTIONS=--enable-source-maps maps them back to the sources
    // (it costs each process about 0.1 s of start-up, so it is not on by default).
    sourcemap: "linked",
    external: EXTERNAL,
    // Bundled CommonJS packages call require(): ESM has none, so each file makes its own.
    banner: {
      js: 'import { createRequire as createRequire_ } from "node:module"; const require = createRequire_(import.meta.url);',
    },
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    write: false,
  });
  const changed = outputFiles.filter(({ path, text }) => readOrEmpty(path) !== text);
  for (const { path, contents } of changed) {
    // Written beside, then renamed: a process importing the file meanwhile sees the old or the new one.
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.tmp`, contents);
    renameSync(`${path}.tmp`, path);
  }
  const built = new Set(outputFiles.map(({ path }) => relative(DIST, path)));
  for (const file of readdirSync(DIST, { recursive: true, encoding: "utf8" }))
    if (/\.js(\.map)?$/.test(file) && !built.has(file)) rmSync(join(DIST, file));
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await buildDist();
