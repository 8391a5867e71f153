import type { Response } from "express";
import type { Role } from "../shared/config.ts";
import { html, type Html, type SafeHtml } from "./html.ts";

/** Who is looking, and whether they had to log in (then they can log out). */
export interface Viewer {
  role: Role;
  loginRequired: boolean;
}

export type Section = "traces" | "monitoring" | "budget" | "experiments";

const NAV: readonly [Section, string, string][] = [
  ["traces", "/", "Traces"],
  ["monitoring", "/monitoring", "Monitoring vs observability"],
  ["budget", "/budget", "Where the budget goes"],
  ["experiments", "/experiments", "Experiments"],
];

interface PageOptions {
  title: string;
  section?: Section;
  viewer?: Viewer;
}

/** The page shell: skip link, header with the main navigation, one `main` landmark. */
export function page({ title, section, viewer }: PageOptions, content: Html): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Incident traces</title>
        <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/assets/viewer.css" />
        <script src="/assets/viewer.js" defer></script>
      </head>
      <body>
        <a class="skip-link" href="#main">Skip to main content</a>
        <header class="site-header">
          <a class="brand" href="/">Incident traces</a>
          ${viewer && navigation(section, viewer)}
        </header>
        <main id="main" tabindex="-1">${content}</main>
      </body>
    </html> `.value;
}

function navigation(section: Section | undefined, viewer: Viewer): SafeHtml {
  return html`<nav aria-label="Main">
      <ul>
        ${NAV.map(
          ([key, href, label]) =>
            html`<li><a href="${href}" ${key === section && html`aria-current="page"`}>${label}</a></li>`,
        )}
      </ul>
    </nav>
    ${
      viewer.loginRequired &&
      html`<form class="session" method="post" action="/logout">
        <span>Signed in as <strong>${viewer.role}</strong></span>
        <button type="submit">Log out</button>
      </form>`
    }`;
}

/** A whole page for a 4xx: what went wrong, in words, and a way back. */
export function errorPage(viewer: Viewer | undefined, title: string, message: Html): string {
  return page(
    { title, ...(viewer && { viewer }) },
    html`<h1>${title}</h1>
      <p class="notice notice-error" role="alert">${message}</p>
      <p><a href="/">Back to the trace list</a></p>`,
  );
}

/** Nothing on these pages comes from elsewhere: no CDN, no inline script, no framing. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'self'",
  "script-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export function sendPage(res: Response, status: number, body: string) {
  res
    .status(status)
    .set({
      "content-security-policy": CONTENT_SECURITY_POLICY,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cache-control": "no-store",
    })
    .type("html")
    .send(body);
}
