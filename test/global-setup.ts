import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { buildDist } from "../scripts/build.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Where test/helpers/shared-replay.ts keeps the one replay of the built-in scenarios per run. */
    sharedReplayDir: string;
  }
}

/** Compiles dist/, which the CLI processes that tests start run, like `npm run cli`, from. */
export default async function setup({ provide }: TestProject) {
  await buildDist();
  const dir = mkdtempSync(join(tmpdir(), "incident-assistant-shared-"));
  provide("sharedReplayDir", dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
