import express, { type ErrorRequestHandler, type Router } from "express";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { Role } from "../shared/config.ts";
import { FEEDBACK_OUTCOMES, TRACE_ID_PATTERN } from "../contracts/vocabulary.ts";
import type { BearerTokens } from "../shared/bearer-tokens.ts";
import type { FeedbackRecord, TraceStore } from "../store/trace-store.ts";
import {
  isNamedQuery,
  listTraces,
  NAMED_QUERIES,
  namedQueryOptionsSchema,
  traceFiltersSchema,
} from "../store/queries.ts";
import { log } from "../instrumentation/log.ts";
import { canSeeRestricted, login, logout, requireSignIn, sameOrigin, showLogin, viewerOf } from "./access.ts";
import { errorPage, sendPage } from "./layout.ts";
import { parseFilters } from "./filters.ts";
import { listPage } from "./list-page.ts";
import { queryPage } from "./query-page.ts";
import { answerOf, readTraceModel } from "./trace-model.ts";
import { whatIfPage, type WhatIfService } from "./what-if-page.ts";
import { tracePage, type Payloads } from "./trace-page.ts";
import { readPeriod } from "./period.ts";
import { monitoringPage, stageCounts, type StageMetrics } from "./monitoring-page.ts";
import { budgetPage } from "./budget-page.ts";
import { experimentPage, experimentsPage } from "./experiments-page.ts";
import { PROJECT_ROOT } from "../shared/module-form.ts";

export interface ViewerOptions {
  /** Records an analyst's feedback on a trace, as `POST /v1/feedback` does. */
  postFeedback: (
    traceId: string,
    outcome: FeedbackRecord["outcome"],
    comment: string | null,
  ) => Promise<void>;
  /**
   * Raw payload attributes (prompts, tool bodies, answers) of the restricted tier, by span id;
   * undefined when none are stored. Called only for a reviewer or admin, who is named for the audit.
   */
  restrictedPayloads?: (
    traceId: string,
    reader: { role: Role },
  ) => Promise<Record<string, Record<string, unknown>> | undefined>;
  /** The API's bearer tokens: when there are any, the viewer asks for one too. */
  tokens: BearerTokens;
  /** The process's Prometheus text, for the monitoring page's view of `/metrics`. */
  metrics?: () => Promise<string>;
  /** What-if replays, where the server can run them (`serve`, `npm start`): a reviewer's panel on the trace page. */
  whatIf?: WhatIfService;
}

const asset = (name: string) => readFileSync(join(PROJECT_ROOT, "src/viewer/assets", name), "utf8");
const STYLE = asset("viewer.css");
const SCRIPT = asset("viewer.js");
const ICON = asset("favicon.svg");

const feedbackForm = z.object({
  outcome: z.enum(FEEDBACK_OUTCOMES),
  comment: z.string().max(2_000).optional(),
});

const periodSchema = traceFiltersSchema.pick({ from: true, to: true });

/**
 * The trace viewer: server-rendered pages over the trace store. Mount it on the API's app after
 * the `/v1` routes; it answers only its own paths, so everything else passes by to the API.
 */
export function createViewer(store: TraceStore, options: ViewerOptions): Router {
  const router = express.Router();
  const { tokens } = options;
  const signedIn = requireSignIn(tokens);
  const form = express.urlencoded({ extended: false, limit: "16kb" });

  router.get("/assets/viewer.css", (_req, res) => {
    res.type("css").set("cache-control", "no-cache").send(STYLE);
  });
  router.get("/assets/viewer.js", (_req, res) => {
    res.type("js").set("cache-control", "no-cache").send(SCRIPT);
  });
  router.get("/assets/favicon.svg", (_req, res) => {
    res.type("svg").set("cache-control", "no-cache").send(ICON);
  });

  router.get("/login", showLogin(tokens));
  router.post("/login", sameOrigin, form, login(tokens));
  router.route("/logout").get(logout).post(sameOrigin, logout);

  router.get("/", signedIn, async (req, res) => {
    const parsed = parseFilters(req.query);
    const result = parsed.ok ? { list: await listTraces(store, parsed.filters) } : { errors: parsed.errors };
    sendPage(res, parsed.ok ? 200 : 400, await listPage(store, viewerOf(req, tokens), parsed.raw, result));
  });

  router.get("/queries/:name", signedIn, async (req, res) => {
    const name = String(req.params.name);
    const viewer = viewerOf(req, tokens);
    if (!isNamedQuery(name)) {
      return sendPage(
        res,
        404,
        errorPage(viewer, "No such saved question", `There is no query named ${name}.`),
      );
    }
    const parsed = namedQueryOptionsSchema.safeParse({ limit: "200", ...rawOptions(req.query) });
    if (!parsed.success)
      return sendPage(
        res,
        400,
        errorPage(viewer, "Bad query options", parsed.error.issues[0]?.message ?? ""),
      );
    sendPage(
      res,
      200,
      queryPage(name, (await NAMED_QUERIES[name](store, parsed.data)) as Record<string, unknown>[], viewer),
    );
  });

  router.get("/traces/:id", signedIn, async (req, res) => {
    const traceId = String(req.params.id);
    const viewer = viewerOf(req, tokens);
    const model = TRACE_ID_PATTERN.test(traceId) ? await readTraceModel(store, traceId) : undefined;
    if (!model)
      return sendPage(res, 404, errorPage(viewer, "Trace not found", `No trace ${traceId} in this store.`));
    const span = typeof req.query.span === "string" ? req.query.span : undefined;
    const changes =
      options.whatIf && canSeeRestricted(viewer.role) ? await options.whatIf.changes(traceId) : [];
    sendPage(res, 200, tracePage(model, viewer, await payloadsFor(viewer.role, traceId), span, changes));
  });

  const replaying = new Set<string>();
  router.post("/traces/:id/what-if", sameOrigin, signedIn, form, async (req, res) => {
    const traceId = String(req.params.id);
    const viewer = viewerOf(req, tokens);
    const model = TRACE_ID_PATTERN.test(traceId) ? await readTraceModel(store, traceId) : undefined;
    if (!model || !options.whatIf)
      return sendPage(res, 404, errorPage(viewer, "Trace not found", `No trace ${traceId} to replay here.`));
    if (!canSeeRestricted(viewer.role))
      return sendPage(
        res,
        403,
        errorPage(viewer, "Reviewers only", "A what-if replay reads the restricted tier."),
      );
    const change = typeof req.body?.change === "string" ? req.body.change : "";
    if (!(await options.whatIf.changes(traceId)).includes(change))
      return sendPage(
        res,
        400,
        errorPage(viewer, "No such change", `${change || "(none)"} does not apply to this trace.`),
      );
    // A replay starts servers and may call a paid model: one at a time per trace.
    if (replaying.has(traceId))
      return sendPage(
        res,
        429,
        errorPage(viewer, "A replay is running", "This trace is being replayed; try again in a moment."),
      );
    replaying.add(traceId);
    try {
      const result = await options.whatIf.run(traceId, change, { role: viewer.role });
      const payloads = await payloadsFor(viewer.role, traceId);
      const output =
        payloads.access === "shown" ? payloads.bySpan[model.root.spanId]?.["output.value"] : undefined;
      sendPage(res, 200, whatIfPage(viewer, model, answerOf(model.facts, output), result));
    } catch (error) {
      log.warn({ err: error, traceId, change }, "what-if replay failed");
      const message = error instanceof Error ? error.message : String(error);
      sendPage(res, 400, errorPage(viewer, "The replay did not run", message));
    } finally {
      replaying.delete(traceId);
    }
  });

  router.post("/traces/:id/feedback", sameOrigin, signedIn, form, async (req, res) => {
    const traceId = String(req.params.id);
    const viewer = viewerOf(req, tokens);
    if (!TRACE_ID_PATTERN.test(traceId) || !(await store.hasTrace(traceId))) {
      return sendPage(res, 404, errorPage(viewer, "Trace not found", `No trace ${traceId} in this store.`));
    }
    const parsed = feedbackForm.safeParse(req.body);
    if (!parsed.success) {
      const message = "Choose Confirm, Correct or Escalate; a comment may have up to 2,000 characters.";
      return sendPage(res, 400, errorPage(viewer, "Feedback not recorded", message));
    }
    await options.postFeedback(traceId, parsed.data.outcome, parsed.data.comment?.trim() || null);
    // 303: the browser follows with a GET, so a reload does not post the feedback twice.
    res.redirect(303, `/traces/${traceId}#feedback`);
  });

  router.get("/monitoring", signedIn, async (req, res) => {
    const viewer = viewerOf(req, tokens);
    const parsed = parseFilters(req.query, periodSchema);
    if (!parsed.ok) return sendPage(res, 400, errorPage(viewer, "Bad period", parsed.errors.join(" ")));
    const metrics = options.metrics && (await readMetrics(options.metrics));
    sendPage(res, 200, monitoringPage(viewer, parsed.raw, await readPeriod(store, parsed.filters), metrics));
  });

  router.get("/budget", signedIn, async (req, res) => {
    const viewer = viewerOf(req, tokens);
    const parsed = parseFilters(req.query, periodSchema);
    if (!parsed.ok) return sendPage(res, 400, errorPage(viewer, "Bad period", parsed.errors.join(" ")));
    sendPage(res, 200, budgetPage(viewer, parsed.raw, await readPeriod(store, parsed.filters)));
  });

  router.get("/experiments", signedIn, async (req, res) => {
    sendPage(res, 200, experimentsPage(viewerOf(req, tokens), await store.experiments()));
  });

  router.get("/experiments/:id", signedIn, async (req, res) => {
    const viewer = viewerOf(req, tokens);
    const experiment = await store.experiment(String(req.params.id));
    if (!experiment)
      return sendPage(
        res,
        404,
        errorPage(viewer, "Experiment not found", `No experiment ${req.params.id} in this store.`),
      );
    sendPage(res, 200, experimentPage(viewer, experiment));
  });

  /** Every read of the restricted tier is audited, so it is not even asked for a viewer who may not see it. */
  async function payloadsFor(role: Role, traceId: string): Promise<Payloads> {
    if (!canSeeRestricted(role)) return { access: "hidden" };
    const bySpan = await options.restrictedPayloads?.(traceId, { role });
    return bySpan ? { access: "shown", bySpan, open: tokens.open } : { access: "not-stored" };
  }

  // Errors on the viewer's routes become pages, not the API's JSON; the API's errors never come here.
  const pageErrors: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: unknown }).status;
    if (typeof status === "number" && status >= 400 && status < 500) {
      return sendPage(res, status, errorPage(undefined, "Bad request", "The request could not be read."));
    }
    log.error({ err, path: req.path }, "trace viewer error");
    sendPage(
      res,
      500,
      errorPage(undefined, "Something went wrong", "The page could not be shown; see the log."),
    );
  };
  router.use(pageErrors);
  return router;
}

async function readMetrics(metrics: () => Promise<string>): Promise<StageMetrics> {
  try {
    return stageCounts(await metrics());
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** The named query options a link may carry (one string each); anything else is ignored. */
function rawOptions(query: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    ["group_by", "experiment"].flatMap((key) => (typeof query[key] === "string" ? [[key, query[key]]] : [])),
  );
}
