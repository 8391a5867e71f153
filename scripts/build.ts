/**
 * Compiles src/ and mock-tools/ to plain JavaScript in dist/, one file per module, for `npm start`,
 * `npm run cli` and the processes they start: Node then loads them without tsx's loader hooks, which
 * cost each process about a second of start-up. Types are checked by `npm run typecheck`, not here.
 *
 *   node --import tsx scripts/build.ts
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build, type Plugin } from "esbuild";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DIST = join(ROOT, "dist");
/** The bench's child processes run compiled too, as the assistant does under `npm start`. */
const SOURCES = ["src", "mock-tools", "scripts/bench"];

/** Every import between our modules stays an import, of the compiled `.js` file. */
const oneFilePerModule: Plugin = {
  name: "one-file-per-module",
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, ({ kind, path }) =>
      kind === "entry-point" ? undefined : { path: path.replace(/\.ts$/, ".js"), external: true },
    );
  },
};

/**
 * Builds dist/. Unchanged files are left alone, for the processes running from them; files whose
 * source is gone are removed.
 */
export async function buildDist(): Promise<void> {
  const entryPoints = SOURCES.flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts"))
      .map((file) => join(ROOT, dir, file)),
  );
  const { outputFiles } = await build({
    entryPoints,
    outdir: DIST,
    outbase: ROOT,
    bundle: true,
    packages: "external",
    plugins: [oneFilePerModule],
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
    if (file.endsWith(".js") && !built.has(file)) rmSync(join(DIST, file));
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await buildDist();
