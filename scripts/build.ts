/**
 * Compiles src/ and mock-tools/ to plain JavaScript in dist/, one file per module, for `npm start`,
 * `npm run cli` and the processes they start: Node then loads them without tsx's loader hooks, which
 * cost each process seconds of start-up. Types are checked by `npm run typecheck`, not here.
 *
 *   node --import tsx scripts/build.ts
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { build, type Plugin } from "esbuild";

const ROOT = new URL("../", import.meta.url).pathname;
const SOURCES = ["src", "mock-tools"];

/** Every import between our modules stays an import, of the compiled `.js` file. */
const oneFilePerModule: Plugin = {
  name: "one-file-per-module",
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, ({ kind, path }) =>
      kind === "entry-point" ? undefined : { path: path.replace(/\.ts$/, ".js"), external: true },
    );
  },
};

/** Builds dist/ and returns how many files changed; unchanged files are left alone for running processes. */
export async function buildDist(): Promise<number> {
  const entryPoints = SOURCES.flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts"))
      .map((file) => join(ROOT, dir, file)),
  );
  const { outputFiles } = await build({
    entryPoints,
    outdir: join(ROOT, "dist"),
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
  return changed.length;
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await buildDist();
