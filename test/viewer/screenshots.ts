/**
 * Screenshots of the trace viewer's main pages for the README, from a fresh replay of the built-in
 * scenarios and an experiment, so they show what the code renders today:
 *   node --import tsx test/viewer/screenshots.ts    (needs Debian's chromium at /usr/bin/chromium)
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { openTraceStore } from "../../src/store/trace-store.ts";
import { launchChromium, replayAll, serveViewer, storeEnv } from "./fixture.ts";
import { runCli, tempStore } from "../helpers/processes.ts";
import { buildDist } from "../../scripts/build.ts";

const OUT = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));
const WIDTH = 1280;

/** The page from `from` down to the end of `to` (CSS selectors), or all of it. */
async function shoot(page: Page, file: string, section?: { from: string; to: string }) {
  const path = `${OUT}${file}`;
  if (!section) return page.screenshot({ path, fullPage: true });
  const top = (await page.locator(section.from).boundingBox())?.y ?? 0;
  const end = await page.locator(section.to).boundingBox();
  const bottom = end ? end.y + end.height : top + 900;
  // A margin above and below, less than the gap between sections, clamped to the page.
  const y = Math.max(0, top - 12);
  return page.screenshot({ path, fullPage: true, clip: { x: 0, y, width: WIDTH, height: bottom + 12 - y } });
}

await buildDist(); // the replay runs the CLI from dist/, as the tests do
const { traceStore } = tempStore();
const traceIds = await replayAll(traceStore);
const store = await openTraceStore(traceStore);
const { url, server } = await serveViewer(store);
const chromium = await launchChromium();
try {
  mkdirSync(OUT, { recursive: true });
  const page = await chromium.browser.newPage();
  const elena = `/traces/${traceIds.elena}`;
  const shots: [file: string, path: string, section?: { from: string; to: string }][] = [
    ["trace-list.png", "/"],
    ["trace-elena.png", elena, { from: "body", to: ".waterfall-and-detail" }],
    ["trace-elena-answer.png", elena, { from: ".two-columns", to: "section[aria-labelledby=tools-title]" }],
    ["monitoring.png", "/monitoring"],
    ["budget.png", "/budget"],
  ];
  for (const [file, path, section] of shots) {
    await page.goto(`${url}${path}`);
    await shoot(page, file, section);
    console.log(`docs/screenshots/${file}`);
  }
  // After the other pages: the experiment's 600 traces would crowd them.
  const experiment = await runCli(
    [
      "experiment",
      "run",
      "--tickets",
      "200",
      "--seed",
      "7",
      "--arms",
      "quality-first/v2,cost-saver/v2,fast-only/v1",
      "--json",
    ],
    storeEnv(traceStore),
  );
  const { experiment: experimentId } = JSON.parse(experiment.stdout) as { experiment: string };
  await page.goto(`${url}/experiments/${experimentId}`);
  await shoot(page, "experiment.png");
  console.log("docs/screenshots/experiment.png");
} finally {
  await chromium.close();
  server.close();
  await store.close();
}
