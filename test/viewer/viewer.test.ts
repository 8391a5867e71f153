import { afterAll, beforeAll, describe, expect, it } from "vitest";
import express from "express";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { BrowserContext, Page } from "playwright-core";
import { openTraceStore, type TraceStore } from "../../src/store/trace-store.ts";
import { createViewer } from "../../src/viewer/index.ts";
import { html } from "../../src/viewer/html.ts";
import { HIDDEN_PAYLOAD } from "../../src/viewer/trace-page.ts";
import { stageCounts } from "../../src/viewer/monitoring-page.ts";
import { CHROMIUM, hasChromium, launchChromium, serveViewer } from "./fixture.ts";
import { replayedStores } from "../helpers/shared-replay.ts";
import { BearerTokens } from "../../src/shared/bearer-tokens.ts";

const TOKENS = new Map([
  ["analyst-token-1", "analyst"],
  ["reviewer-token-1", "reviewer"],
] as const);
/** What the fake restricted tier returns for the revoke_sessions span: a reviewer sees it, an analyst not. */
const PAYLOAD_MARKER = "raw-response-body-403-insufficient-scope";

let store: TraceStore;
let traceIds: Record<string, string>;
let revokeSpanId: string;
let open: { url: string; server: Server };
let guarded: { url: string; server: Server };

/** Every built-in scenario replayed into a fresh store, then two viewers over it: open, and with tokens. */
beforeAll(async () => {
  const replayed = await replayedStores();
  traceIds = replayed.traceIds;
  store = await openTraceStore(replayed.traceStore);
  const revoke = (await store.spansOf(traceIds.elena as string)).find(
    (span) => span.attributes["tool.name"] === "revoke_sessions",
  );
  revokeSpanId = revoke?.spanId ?? "";
  open = await serveViewer(store);
  guarded = await serveViewer(store, {
    tokens: new BearerTokens(TOKENS),
    restrictedPayloads: async (traceId) =>
      traceId === traceIds.elena
        ? { [revokeSpanId]: { "output.value": `{"error":"insufficient_scope","note":"${PAYLOAD_MARKER}"}` } }
        : undefined,
  });
}, 180_000);

afterAll(async () => {
  open?.server.close();
  guarded?.server.close();
  await store?.close();
});

const get = (url: string, headers: Record<string, string> = {}) =>
  fetch(url, { headers, redirect: "manual" });

describe("html", () => {
  it("escapes every interpolated value and keeps nested templates", async () => {
    const name = `<script>alert("x")</script> & 'y'`;
    expect(html`<p title="${name}">${name} ${html`<b>${"<i>"}</b>`}</p>`.value).toBe(
      `<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;">` +
        `&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39; <b>&lt;i&gt;</b></p>`,
    );
    expect(html`${[html`<li>a</li>`, "<li>"]}${null}${undefined}${false}`.value).toBe("<li>a</li>&lt;li&gt;");
  });
});

describe("viewer pages over HTTP", () => {
  it("answers an unknown trace with a 404 page and bad filters with a 400 page naming them", async () => {
    for (const id of ["0".repeat(32), "not-a-trace-id"]) {
      const response = await get(`${open.url}/traces/${id}`);
      expect(response.status).toBe(404);
      expect(await response.text()).toContain("Trace not found");
    }
    const badLimit = await get(`${open.url}/?limit=0`);
    expect(badLimit.status).toBe(400);
    expect(await badLimit.text()).toContain("limit:");
    const unknown = await get(`${open.url}/?colour=red`);
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain("Unknown filter: colour");
    expect((await get(`${open.url}/budget?from=yesterday`)).status).toBe(400);
  });

  it("sends pages with a policy that allows nothing from elsewhere", async () => {
    const response = await get(`${open.url}/`);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await response.text()).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
  });

  it("leaves every path it does not own to the app it is mounted on", async () => {
    const app = express();
    app.use(createViewer(store, { postFeedback: async () => undefined, tokens: new BearerTokens(TOKENS) }));
    app.use((_req, res) => res.status(418).json({ passed: true }));
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await get(`${url}/v1/traces`)).status).toBe(418);
      expect((await get(`${url}/metrics`)).status).toBe(418);
      expect((await get(`${url}/`)).status).toBe(303);
    } finally {
      server.close();
    }
  });

  it("with tokens, sends a browser to /login and keeps the token in an HttpOnly, SameSite=Strict cookie", async () => {
    const page = await get(`${guarded.url}/traces/${traceIds.elena}`);
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe(`/login?next=%2Ftraces%2F${traceIds.elena}`);
    const login = (token: string) =>
      fetch(`${guarded.url}/login`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin" },
        body: new URLSearchParams({ token, next: "//evil.example/" }),
      });
    expect((await login("wrong-token")).status).toBe(401);
    const signedIn = await login("analyst-token-1");
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get("location")).toBe("/");
    expect(signedIn.headers.get("set-cookie")).toMatch(/HttpOnly/);
    expect(signedIn.headers.get("set-cookie")).toMatch(/SameSite=Strict/);
  });

  it("shows the stage counters of /metrics beside the RED view computed from the traces", async () => {
    const prometheus = [
      "# TYPE incident_stage_duration histogram",
      'incident_stage_duration_count{stage="tool",outcome="error",otel_scope_name="incident-assistant"} 1',
      'incident_stage_duration_count{stage="tool",outcome="ok",otel_scope_name="incident-assistant"} 3',
      'incident_stage_duration_sum{stage="tool",outcome="ok",otel_scope_name="incident-assistant"} 0.02',
    ].join("\n");
    expect(stageCounts(prometheus)).toEqual([
      { stage: "tool", outcome: "error", count: 1 },
      { stage: "tool", outcome: "ok", count: 3 },
    ]);
    const withMetrics = await serveViewer(store, { metrics: async () => prometheus });
    try {
      const text = await (await get(`${withMetrics.url}/monitoring`)).text();
      expect(text).toContain("The same stages on /metrics");
      expect(text).toContain("answers claim what their own tool results and documents do not support");
      // The two columns judge alike: the dashboards are green on rate, 5xx and latency, while stage
      // failures and unsupported answers appear only on the traces' side.
      expect(text).toMatch(/The dashboards are green: \d+ requests, 0 answered 5xx/);
      const [dashboards, traces] = text.split('id="observability-title"');
      expect(dashboards).not.toContain("failed</span>");
      const apiRow = dashboards?.split("POST /v1/incidents/ask</th>")[1]?.split("</tr>")[0];
      expect(apiRow).toContain("badge-good");
      expect(traces).toContain("Failures inside the pipeline, per stage");
      expect(text).toMatch(/tool calls? failed inside requests the API answered 200/);
    } finally {
      withMetrics.server.close();
    }
    expect((await get(`${open.url}/queries/no-such-query`)).status).toBe(404);
  });

  it("refuses feedback posted from another site", async () => {
    const response = await fetch(`${open.url}/traces/${traceIds.healthy}/feedback`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "cross-site" },
      body: new URLSearchParams({ outcome: "confirmed" }),
    });
    expect(response.status).toBe(403);
    expect(await store.feedbackOf(traceIds.healthy as string)).toEqual([]);
  });
});

if (!hasChromium)
  console.warn(`viewer browser tests skipped: no chromium at ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!hasChromium)(`the viewer in a browser (needs ${CHROMIUM})`, () => {
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let browser: BrowserContext;
  /** Console errors (a CSP violation shows up here) and requests that left the viewer. */
  const problems: string[] = [];

  beforeAll(async () => {
    chromium = await launchChromium();
    browser = chromium.browser;
    browser.on("page", (page) => {
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(`console: ${message.text()}`);
      });
      page.on("response", (response) => {
        if (response.status() >= 400) problems.push(`${response.status()}: ${response.url()}`);
      });
    });
    browser.on("request", (request) => {
      if (!request.url().startsWith("http://127.0.0.1:")) problems.push(`request: ${request.url()}`);
    });
  });

  afterAll(async () => {
    await chromium?.close();
  });

  const rowsOf = (page: Page) => page.locator("table.traces tbody tr");

  it("takes the README's tour: elena from the list, its diagnosis, the 403, then monitoring", async () => {
    const page = await browser.newPage();
    // 1. The list names each replay's scenario: elena is found without its id.
    await page.goto(`${open.url}/`);
    await page.getByRole("link", { name: "elena", exact: true }).click();
    await page.waitForURL(new RegExp(`/traces/${traceIds.elena}`));
    const facts = await page.locator(".trace-header .facts").innerText();
    expect(facts).toMatch(/unsupported/);
    expect(facts).toMatch(/First bad stage\s+tool/i);
    // 2. The diagnosis says where the wrong story entered, and the legend explains the words.
    expect(await page.locator(".diagnosis p").innerText()).toMatch(
      /^The wrong story entered at the tool stage/,
    );
    await page.locator(".legend summary").click();
    expect(await page.locator(".legend dl").innerText()).toContain("where the wrong story entered");
    // 3. revoke_sessions: its TOOL span failed, and the sessions service answered 403 beneath it.
    await page.locator(`li.span-row[data-span-id="${revokeSpanId}"] a`).first().click();
    await page.waitForURL(new RegExp(`span=${revokeSpanId}`));
    const detail = await page.locator("#span-detail").innerText();
    expect(detail).toMatch(/tool\.http_status\s+403/);
    expect(detail).toMatch(/error\.type\s+insufficient_scope/);
    // 4. The answer's claims link to their evidence; the MDM result is marked stale.
    expect(await page.locator(".claim").filter({ hasText: "sessions_revoked" }).count()).toBeGreaterThan(0);
    expect(await page.locator("body").innerText()).toMatch(/stale: budget 1 h/);
    // 5. Monitoring: the dashboards are green while the traces show unsupported answers.
    await page.getByRole("link", { name: "Monitoring vs observability" }).click();
    const lesson = await page.locator(".lesson").innerText();
    expect(lesson).toMatch(/^The dashboards are green/);
    expect(lesson).toMatch(/Only the traces show that \d+ of those answers claim/);
    await page.close();
  });

  async function signIn(page: Page, url: string, token: string) {
    await page.goto(url);
    await page.getByLabel("API token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(url);
  }

  it("lists every trace, newest first, by scenario and category, with verdict, first finding, first bad stage, cost and latency", async () => {
    const page = await browser.newPage();
    await page.goto(`${open.url}/`);
    await expect.poll(async () => rowsOf(page).count()).toBe(Object.keys(traceIds).length);
    const elenaRow = rowsOf(page).filter({ has: page.locator(`a[href="/traces/${traceIds.elena}"]`) });
    await expect
      .poll(async () => elenaRow.innerText())
      .toMatch(/^\S+ \S+ UTC\s+elena [0-9a-f]{8}\s+lost or stolen device/);
    await expect
      .poll(async () => elenaRow.innerText())
      .toMatch(/unsupported\s+stale_tool_data\s+tool\s+strong \/ sim-large/);
    await expect.poll(async () => elenaRow.innerText()).toMatch(/\$0\.\d+\s+[\d.,]+ ms\s+\d+\s+escalated/);
    await page.close();
  });

  it("filters to the unsupported answers with the form", async () => {
    const page = await browser.newPage();
    await page.goto(`${open.url}/`);
    await page.getByLabel("Verdict").selectOption("unsupported");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/verdict=unsupported/);
    const links = await rowsOf(page)
      .locator("a.trace-link")
      .evaluateAll((anchors) => anchors.map((anchor) => anchor.getAttribute("href")));
    const expected = ["elena", "revoke-403", "partial-record"].map((id) => `/traces/${traceIds[id]}`);
    expect(links.sort()).toEqual(expected.sort());
    expect(await page.getByLabel("Verdict").inputValue()).toBe("unsupported");
    await page.close();
  });

  it("marks the revoke_sessions span of the elena trace with its finding", async () => {
    const page = await browser.newPage();
    await page.goto(`${open.url}/traces/${traceIds.elena}`);
    const row = page.locator(`li.span-row[data-span-id="${revokeSpanId}"]`);
    expect(await row.getAttribute("class")).toContain("has-finding");
    expect(await row.innerText()).toContain("finding: tool_error");
    expect(await row.innerText()).toContain("ERROR");
    expect(await page.locator(".diagnosis").innerText()).toContain("revoke_sessions failed");
    // The legend explains verdict, findings and first bad stage, folded until asked for.
    await page.locator(".legend summary").click();
    const legend = await page.locator(".legend dl").innerText();
    for (const term of ["verdict", "findings", "first bad stage"]) expect(legend).toContain(term);
    // Its claim links to the span holding its evidence, and selecting it shows the span's attributes.
    await page.locator(".claim").filter({ hasText: "sessions_revoked" }).locator("a").first().click();
    await page.waitForURL(new RegExp(`span=${revokeSpanId}`));
    expect(await page.locator("#span-detail h2").innerText()).toContain("execute_tool revoke_sessions");
    expect(await page.locator("#span-detail").innerText()).toContain("tool.http_status");
    await page.close();
  });

  it("posts feedback with the Escalate button and shows it joined to the trace", async () => {
    const page = await browser.newPage();
    await page.goto(`${open.url}/traces/${traceIds.healthy}`);
    expect(await page.locator("#feedback").innerText()).toContain("No feedback yet.");
    await page.getByLabel("Comment").fill("Escalating to the on-call lead for a second look.");
    await page.getByRole("button", { name: "Escalate" }).click();
    await page.waitForURL(`${open.url}/traces/${traceIds.healthy}#feedback`);
    const feedback = await page.locator("#feedback").innerText();
    expect(feedback).toContain("escalated");
    expect(feedback).toMatch(
      /Joined as annotation analyst_feedback = escalated on answer_incident \(HUMAN\)/,
    );
    expect((await store.feedbackOf(traceIds.healthy as string)).map((row) => row.outcome)).toEqual([
      "escalated",
    ]);
    await page.close();
  });

  it("hides restricted payloads from an analyst and shows them to a reviewer", async () => {
    const trace = `${guarded.url}/traces/${traceIds.elena}?span=${revokeSpanId}`;
    const analyst = await browser.newPage();
    await signIn(analyst, trace, "analyst-token-1");
    const seenByAnalyst = await analyst.locator("main").innerText();
    expect(seenByAnalyst).toContain(HIDDEN_PAYLOAD);
    expect(seenByAnalyst).not.toContain(PAYLOAD_MARKER);
    await analyst.getByRole("button", { name: "Log out" }).click();
    await analyst.waitForURL(/\/login$/);
    await analyst.close();

    const reviewer = await browser.newPage();
    await signIn(reviewer, trace, "reviewer-token-1");
    const seenByReviewer = await reviewer.locator("main").innerText();
    expect(seenByReviewer).toContain(PAYLOAD_MARKER);
    expect(seenByReviewer).not.toContain(HIDDEN_PAYLOAD);
    await reviewer.close();
  });

  it("reaches the filter form and a span row with Tab, and selects a span with Space", async () => {
    const page = await browser.newPage();
    await page.goto(`${open.url}/`);
    expect(await tabUntil(page, "form.filters select")).toBe(true);

    await page.goto(`${open.url}/traces/${traceIds.elena}`);
    expect(await tabUntil(page, "a.span-link")).toBe(true);
    await page.keyboard.press("ArrowDown");
    const focused = await page.evaluate(() => document.activeElement?.closest("li")?.dataset.spanId);
    await page.keyboard.press(" ");
    await page.waitForURL(new RegExp(`span=${focused}`));
    expect(await page.locator(`li[data-span-id="${focused}"] a`).getAttribute("aria-current")).toBe("true");
    const name = await page.locator(`li[data-span-id="${focused}"] .span-name`).innerText();
    expect(await page.locator("#span-detail h2").innerText()).toBe(`Selected span: ${name}`);
    await page.close();
  });

  it("labels every control, has one main landmark, and names every chart and bar", async () => {
    const page = await browser.newPage();
    const paths = ["/", `/traces/${traceIds.elena}`, "/monitoring", "/budget", "/queries/route-outcomes"];
    for (const path of paths) {
      await page.goto(`${open.url}${path}`);
      const report = await page.evaluate(() => ({
        mains: document.querySelectorAll("main").length,
        unlabelled: [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
          .filter((control) => {
            const labels = (control as HTMLInputElement).labels;
            return (!labels || labels.length === 0) && !control.getAttribute("aria-label");
          })
          .map((control) => control.outerHTML),
        unnamedGraphics: [...document.querySelectorAll("svg, img")]
          .filter(
            (graphic) =>
              graphic.getAttribute("aria-hidden") !== "true" &&
              !graphic.getAttribute("aria-label") &&
              !graphic.getAttribute("aria-labelledby") &&
              !graphic.getAttribute("alt") &&
              !graphic.querySelector(":scope > title"),
          )
          .map((graphic) => graphic.outerHTML.slice(0, 80)),
        emptyButtons: [...document.querySelectorAll("button")].filter((b) => !b.textContent?.trim()).length,
      }));
      expect(report, path).toEqual({ mains: 1, unlabelled: [], unnamedGraphics: [], emptyButtons: 0 });
    }
    expect(problems).toEqual([]);
    await page.close();
  });
});

/** Presses Tab until the focused element matches `selector`; false if it never does. */
async function tabUntil(page: Page, selector: string, limit = 80): Promise<boolean> {
  for (let presses = 0; presses < limit; presses++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return true;
  }
  return false;
}
