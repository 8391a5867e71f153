import express from "express";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { loadConfig } from "../../src/shared/config.ts";
import { recordFeedback } from "../../src/lifecycle/feedback.ts";
import { governanceFor, type Governance } from "../../src/governance/runtime.ts";
import type { TraceStore } from "../../src/store/trace-store.ts";
import { createViewer, type ViewerOptions } from "../../src/viewer/index.ts";
import { runCli } from "../helpers/processes.ts";
import { BearerTokens } from "../../src/shared/bearer-tokens.ts";

/** The trace store and, beside it, the restricted tier (its default path is inside the repository). */
export const storeEnv = (traceStore: string) => ({
  TRACE_STORE: traceStore,
  RESTRICTED_STORE: join(dirname(traceStore), "restricted.db"),
});

/** Replays every built-in scenario into `traceStore`; returns each scenario's trace id. */
export async function replayAll(traceStore: string): Promise<Record<string, string>> {
  const run = await runCli(["replay", "--all", "--json"], storeEnv(traceStore));
  const lines = run.stdout.split("\n").filter((line) => line.startsWith("{"));
  if (lines.length === 0)
    throw new Error(`replay --all printed no results (exit ${run.code}):\n${run.stderr}`);
  return Object.fromEntries(
    lines.map((line) => {
      const result = JSON.parse(line) as { scenario: string; traceId: string };
      return [result.scenario, result.traceId];
    }),
  );
}

export const governanceOf = (store: TraceStore) => governanceFor(loadConfig(storeEnv(store.location)));

/** The restricted tier's payloads of a trace by span id, read (and audited) in the viewer's name. */
export function restrictedPayloadsFrom(governance: Governance): ViewerOptions["restrictedPayloads"] {
  return async (traceId, reader) => {
    if (!(await governance.restricted.has(traceId))) return undefined;
    const payloads = await governance.restricted.read(traceId, `trace-viewer:${reader.role}`);
    return Object.fromEntries(payloads.map((payload) => [payload.spanId, payload.attributes]));
  };
}

/** The viewer alone on an express app, on loopback (a free port unless given), recording feedback as the API does. */
export async function serveViewer(
  store: TraceStore,
  options: Partial<ViewerOptions> = {},
  port = 0,
): Promise<{ url: string; server: Server }> {
  const governance = governanceOf(store);
  const app = express();
  app.use(
    createViewer(store, {
      postFeedback: (traceId, outcome, comment) =>
        recordFeedback(store, governance, { traceId, outcome, comment }),
      restrictedPayloads: restrictedPayloadsFrom(governance),
      tokens: new BearerTokens(new Map()),
      ...options,
    }),
  );
  const server = app.listen(port, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

export const CHROMIUM = "/usr/bin/chromium";
/** Browser tests skip, saying so, where Debian's chromium is not installed (.ci/run installs it). */
export const hasChromium = existsSync(CHROMIUM);

/** Debian's chromium, headless, in a fresh profile that `close` deletes; no network of its own. */
export async function launchChromium(): Promise<{ browser: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), "viewer-chromium-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 900 },
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    },
  };
}
