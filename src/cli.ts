import { Command, InvalidArgumentError } from "commander";
import pc from "picocolors";
import { Presets, SingleBar } from "cli-progress";
import { ConfigError, loadConfig, type Config } from "./shared/config.ts";
import { TRACE_ID_PATTERN } from "./contracts/vocabulary.ts";
import { startServices, type RunningServices } from "./services/start-services.ts";
import { openTraceStore, type TraceStore } from "./store/trace-store.ts";
import { renderTree } from "./trace/tree.ts";
import { flushTelemetry, shutdownTelemetry } from "./telemetry/handle.ts";
import { builtInScenarioFiles, loadScenario, ScenarioError, type Scenario } from "./scenarios/scenario.ts";
import { diagnosisLines, replayJson, replayReport } from "./scenarios/report.ts";
import { completeTrace, recordDiagnosis, TraceSettler } from "./lifecycle/trace-completion.ts";
import { log } from "./instrumentation/log.ts";
import { governanceFor } from "./governance/runtime.ts";
import { enforceRetentionPolicy } from "./lifecycle/retention.ts";
import { isNamedQuery, NAMED_QUERIES, namedQueryOptionsSchema } from "./store/queries.ts";
import { toOtlpJson } from "./store/otlp.ts";
import { StoreUnavailableError } from "./store/store-errors.ts";
import {
  OTLP_PROTOCOLS,
  OtlpPusher,
  parseHeaders,
  withApiToken,
  PushError,
  tracesUrlOf,
  type OtlpProtocol,
} from "./telemetry/otlp-push.ts";
import { context } from "@opentelemetry/api";
import { ArmError, parseArms } from "./experiments/arms.ts";
import { applicableChangeNames, CHANGE_FORMS, parseChange } from "./whatif/changes.ts";
import { checkReplayable, WhatIfError } from "./whatif/recording.ts";
import { whatIfReport } from "./whatif/report.ts";
import { suppressTracing } from "@opentelemetry/core";

/** Exit codes: 0 done, 1 an expectation failed, 2 bad input. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * The assistant, the API and the replay runner (LangChain, express, the viewer) are imported by the
 * commands that run them, beside the start of the mock services: the services' processes boot while
 * this one loads them, and the commands that read the store never load them at all.
 */
const loadAssistant = () => import("./agent/pipeline.ts");
const loadApi = () => import("./api/server.ts");
const loadReplay = () => import("./scenarios/replay.ts");
const loadExperiments = () => import("./experiments/run.ts");
const loadWhatIf = () => import("./whatif/replay.ts");

const RETENTION_INTERVAL_MS = 60 * 60 * 1000;
/** Who reads the restricted tier when the command line replays a trace, in the audit log. */
const CLI_READER = "cli:trace-replay";
const traceIdArgument = (value: string) => {
  if (!TRACE_ID_PATTERN.test(value))
    throw new InvalidArgumentError("expected a 32-character lowercase hex trace id");
  return value;
};

/** Starts the mock services, the API and viewer; returns what `start` and `serve` print. */
async function serve(config: Config) {
  const [services, { createAssistant }, { createApi, listenApi }, { whatIf }] = await Promise.all([
    startServices(config),
    loadAssistant(),
    loadApi(),
    loadWhatIf(),
  ]);
  const store = await openTraceStore(config.traceStore, { backgroundCheckpoints: true });
  // Refused at start-up, not at the first kept payload.
  if (config.governance === "on") await governanceFor(config).restricted.opened();
  const assistant = createAssistant(config, services.urls);
  const exporters = Object.values(services.started);
  const onAnswered = (traceId: string) => {
    completeTrace(store, traceId, exporters, governanceFor(config)).catch((error: unknown) =>
      log.warn({ err: error, traceId }, "trace not diagnosed"),
    );
  };
  const settler = new TraceSettler(store, governanceFor(config), config.traceSettle);
  await settler.recover();
  if (settler.watching > 0)
    log.info({ traces: settler.watching }, "diagnosing the traces a previous run left undiagnosed");
  let settlingNow = false;
  const settling = setInterval(
    () => {
      if (settlingNow) return;
      settlingNow = true;
      settler
        .settle()
        .catch((error: unknown) => log.error({ err: error }, "settling traces failed"))
        .finally(() => (settlingNow = false));
    },
    Math.min(Math.max(config.traceSettle / 4, 250), 5_000),
  ).unref();
  const { server, url } = await listenApi(
    createApi(assistant, store, {
      onAnswered,
      onSpansReceived: settler.spansArrived,
      whatIf: {
        // Only where the recording was kept: a sampled-out trace has nothing to replay.
        changes: async (traceId) =>
          (await governanceFor(config).restricted.has(traceId)) ? applicableChangeNames(store, traceId) : [],
        run: (traceId, change, reader) =>
          whatIf(traceId, parseChange(change), config, services, store, `trace-viewer:${reader.role}`),
      },
    }),
    config.port,
    config.host,
  );
  const retention = setInterval(() => {
    enforceRetentionPolicy(store, governanceFor(config), config)
      .then((deleted) =>
        log.info(deleted, "retention: deleted what is past TRACE_RETENTION and RESTRICTED_RETENTION"),
      )
      .catch((error: unknown) => log.error({ err: error }, "retention failed"));
  }, RETENTION_INTERVAL_MS).unref();
  process.once("exit", () => {
    clearInterval(retention);
    clearInterval(settling);
    server.close();
    // The process is ending: a store that fails to close has nothing left to lose.
    store.close().catch(() => {});
  });
  return { services, url, store };
}

/** Opens the configured trace store for one command, and closes it once the command is done with it. */
async function withStore<T>(use: (store: TraceStore, config: Config) => T | Promise<T>): Promise<T> {
  const config = loadConfig();
  const store = await openTraceStore(config.traceStore);
  try {
    return await use(store, config);
  } finally {
    await store.close();
  }
}

/** A stored trace's spans; a trace id the store does not hold is bad input. */
async function storedSpans(store: TraceStore, traceId: string) {
  const spans = await store.spansOf(traceId);
  if (spans.length === 0) throw new UsageError(`no trace ${traceId} in ${store.location}`);
  return spans;
}

/** What a step that takes a while is doing, on stderr so that stdout keeps only results. */
const progress = (message: string) => process.stderr.write(pc.dim(`${message}\n`));

/**
 * In human mode a tool failure is the point of a scenario, not news: logs below errors stay quiet
 * unless LOG_LEVEL asks for them.
 */
function quietLogsFor(json: boolean | undefined) {
  if (!json && process.env.LOG_LEVEL === undefined) log.level = "error";
}

/** Starts the mock services for a one-shot command; in human mode, quietly and saying so. */
function startServicesFor(config: Config, json: boolean | undefined): Promise<RunningServices> {
  quietLogsFor(json);
  if (!json) progress("Starting the simulated model and the mock services...");
  return startServices(config);
}

/** The scenario a newcomer should open first: the incident the project exists to explain. */
const START_HERE = "elena";

function printUrls(url: string, services: RunningServices) {
  const line = (label: string, value: string) => console.log(`  ${label.padEnd(14)} ${value}`);
  console.log(pc.bold("Incident assistant is running"));
  line("Trace viewer", `${url}/`);
  line("API", `${url}/v1/incidents/ask`);
  line("Traces", `${url}/v1/traces/<trace_id>`);
  line("Metrics", `${url}/metrics`);
  line("Model", services.urls.llm);
  line("MDM", services.urls.mdm);
  line("Sessions", services.urls.sessions);
  console.log(`\nTry it:\n  curl -s ${url}/v1/incidents/ask -H 'content-type: application/json' \\`);
  console.log(
    `    -d '{"question":"Elena Ruiz (E-10442) reports laptop LT-4821 stolen at the airport. Is it encrypted, and are her sessions revoked?"}'`,
  );
  console.log(`  npm run cli -- trace show <trace_id>\n\nCtrl-C stops everything.`);
}

const program = new Command()
  .name("incident-assistant")
  .description("A security-incident assistant whose every answer can be explained from its trace.")
  // Set before any command is added, so that every subcommand inherits it: a bad argument is exit 2.
  .exitOverride((error) => {
    process.exit(error.exitCode === 0 ? 0 : 2);
  });

program
  .command("start")
  .description("start the model, mock services and API, and print where to look")
  .action(async () => {
    const config = loadConfig();
    progress("Starting the simulated model, the mock services and the API...");
    const [{ services, url, store }, { replay }] = await Promise.all([serve(config), loadReplay()]);
    console.log(pc.dim("Replaying the built-in scenarios so there is something to look at..."));
    // Their tool failures are the point of the scenarios, not news: keep the logs quiet meanwhile.
    const logLevel = log.level;
    log.level = "error";
    let startHere: string | undefined;
    for (const file of builtInScenarioFiles()) {
      const result = await replay(loadScenario(file), config, services, store);
      const mark = result.diagnosis.verdict === "supported" ? pc.green("supported  ") : pc.red("unsupported");
      console.log(`  ${mark} ${result.scenario.padEnd(15)} ${url}/traces/${result.traceId}`);
      if (result.scenario === START_HERE) startHere = `${url}/traces/${result.traceId}`;
    }
    log.level = logLevel;
    if (startHere)
      console.log(
        `\n${pc.bold("Start here:")} ${startHere}\n  the stolen-laptop answer that said "encrypted, sessions revoked" while the revocation returned 403.`,
      );
    console.log();
    printUrls(url, services);
  });

program
  .command("serve")
  .description("start the API (and the mock services and model it needs) on PORT")
  .action(async () => {
    const config = loadConfig();
    const { url } = await serve(config);
    console.log(`listening on ${url}`);
  });

program
  .command("ask")
  .description("answer one question end to end and print the answer and its trace")
  .argument("<question>", "the analyst's question")
  .option("--analyst <handle>", "who is asking")
  .option("--json", "print the answer as JSON")
  .action(async (question: string, options: { analyst?: string; json?: boolean }) => {
    const config = loadConfig();
    const [services, { answerIncident, createAssistant }] = await Promise.all([
      startServicesFor(config, options.json),
      loadAssistant(),
    ]);
    try {
      const result = await answerIncident(createAssistant(config, services.urls), {
        question,
        analyst: options.analyst,
      });
      await flushTelemetry();
      const { spans } = await withStore((store) =>
        completeTrace(store, result.traceId, Object.values(services.started), governanceFor(config)),
      );
      if (options.json) {
        console.log(
          JSON.stringify({
            trace_id: result.traceId,
            answer: result.answer,
            route: result.route,
            model: result.model,
            cost_usd: result.costUsd,
          }),
        );
        return;
      }
      console.log(`${pc.bold("Answer:")} ${result.answer.summary}\n`);
      for (const line of renderTree(spans)) console.log(line);
      console.log(`\ntrace ${result.traceId}`);
    } finally {
      await services.stop();
    }
  });

program
  .command("replay")
  .description("replay a scenario end to end, then diagnose its trace")
  .argument("[scenario]", "a built-in scenario id or a path to a scenario YAML file")
  .option("--all", "replay every built-in scenario")
  .option("--json", "print one JSON object per scenario")
  .action(async (idOrPath: string | undefined, options: { all?: boolean; json?: boolean }) => {
    if (!idOrPath && !options.all) throw new UsageError("name a scenario, or pass --all");
    const scenarios: Scenario[] = (options.all ? builtInScenarioFiles() : [idOrPath as string]).map(
      loadScenario,
    );
    const config = loadConfig();
    const [services, { replay }] = await Promise.all([startServicesFor(config, options.json), loadReplay()]);
    const store = await openTraceStore(config.traceStore);
    let allPassed = true;
    try {
      for (const [index, scenario] of scenarios.entries()) {
        if (!options.json) progress(`Replaying ${scenario.id} (${index + 1}/${scenarios.length})...`);
        const result = await replay(scenario, config, services, store);
        allPassed &&= result.expectations.passed;
        console.log(options.json ? JSON.stringify(replayJson(result)) : replayReport(result));
      }
    } finally {
      await store.close();
      await services.stop();
    }
    process.exitCode = allPassed ? 0 : 1;
  });

const experimentCommand = program
  .command("experiment")
  .description("compare arms (routing policy × synthesizer prompt) on the same tickets");
experimentCommand
  .command("run")
  .description("run generated (or filed) tickets through every arm and compare cost, latency and quality")
  .option("--tickets <count>", "tickets to generate", wholeNumberArgument("--tickets", 1, 5_000), 200)
  .option(
    "--seed <seed>",
    "the generator's and analyst's seed",
    wholeNumberArgument("--seed", 0, 2 ** 31 - 1),
    1,
  )
  .option(
    "--arms <arms>",
    "comma-separated <policy>/<prompt>; the first is the baseline",
    "quality-first/v2,cost-saver/v2",
  )
  .option(
    "--tickets-file <file>",
    "a YAML list of {id?, request, world?} entries instead of generated tickets",
  )
  .option("--concurrency <n>", "tickets in flight at once", wholeNumberArgument("--concurrency", 1, 64), 6)
  .option("--json", "print the report as one JSON object")
  .action(async (options: ExperimentOptions) => {
    const [{ runExperiment }, { generateTickets, loadTicketFile }, { experimentJson, experimentReport }] =
      await Promise.all([
        loadExperiments(),
        import("./experiments/tickets.ts"),
        import("./experiments/report.ts"),
      ]);
    const arms = usage(() => parseArms(options.arms));
    const tickets = options.ticketsFile
      ? loadTicketFile(options.ticketsFile)
      : generateTickets(options.tickets, options.seed);
    const config = loadConfig();
    // Hundreds of answers, a tenth with tool failures by design: the report says what matters.
    quietLogsFor(false);
    const services = await startServicesFor(config, options.json);
    const store = await openTraceStore(config.traceStore);
    const bar = progressBar(`${tickets.length} tickets × ${arms.length} arms`);
    try {
      bar.start(tickets.length, 0);
      const report = await runExperiment(
        {
          tickets,
          arms,
          seed: options.seed,
          concurrency: options.concurrency,
          onTicketDone: (done) => bar.update(done),
        },
        config,
        services,
        store,
      );
      bar.stop();
      console.log(options.json ? JSON.stringify(experimentJson(report)) : experimentReport(report));
    } finally {
      bar.stop();
      await store.close();
      await services.stop();
    }
  });

program
  .command("diagnose")
  .description("re-run the diagnosis on a stored trace")
  .argument("<traceId>", "32 hex characters", traceIdArgument)
  .option("--json", "print the diagnosis as JSON")
  .action((traceId: string, options: { json?: boolean }) =>
    withStore(async (store) => {
      const spans = await storedSpans(store, traceId);
      const diagnosis = await recordDiagnosis(store, traceId, spans);
      if (options.json) console.log(JSON.stringify({ traceId, diagnosis }));
      else console.log(diagnosisLines(spans, diagnosis).join("\n"));
    }),
  );

program
  .command("query")
  .description(`run a named query: ${Object.keys(NAMED_QUERIES).join(", ")}`)
  .argument("<name>", "the query's name")
  .option("--limit <rows>", "the newest rows to return", "100")
  .option("--group-by <key>", "route-outcomes: route (and prompt version) or arm (experiment arm)", "route")
  .option("--experiment <id>", "route-outcomes: only that experiment's traces")
  .option("--json", "print the rows as JSON")
  .action(async (name: string, options: QueryOptions) => {
    if (!isNamedQuery(name)) {
      throw new UsageError(`no named query ${name}; known: ${Object.keys(NAMED_QUERIES).join(", ")}`);
    }
    const parsed = namedQueryOptionsSchema.safeParse({
      limit: options.limit,
      group_by: options.groupBy,
      experiment: options.experiment,
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UsageError(`--${String(issue?.path[0]).replace("_", "-")}: ${issue?.message}`);
    }
    const rows = await withStore(async (store): Promise<object[]> => NAMED_QUERIES[name](store, parsed.data));
    if (options.json) console.log(JSON.stringify({ query: name, limit: parsed.data.limit, rows }));
    else if (rows.length === 0) console.log(`${name}: no traces`);
    else console.table(rows);
  });

program
  .command("retention")
  .description("delete traces past TRACE_RETENTION and restricted payloads past RESTRICTED_RETENTION, now")
  .action(async () => {
    const deleted = await withStore((store, config) =>
      enforceRetentionPolicy(store, governanceFor(config), config),
    );
    console.log(`deleted ${deleted.traces} traces and ${deleted.restrictedPayloads} restricted payloads`);
  });

const traceCommand = program.command("trace").description("read stored traces");
traceCommand
  .command("show")
  .description("print a stored trace as a span tree with its key attributes")
  .argument("<traceId>", "32 hex characters", traceIdArgument)
  .action((traceId: string) =>
    withStore(async (store) => {
      for (const line of renderTree(await storedSpans(store, traceId))) console.log(line);
    }),
  );

traceCommand
  .command("export")
  .description("print a stored trace as an OTLP/JSON ExportTraceServiceRequest")
  .argument("<traceId>", "32 hex characters", traceIdArgument)
  .option("--format <format>", "otlp-json", "otlp-json")
  .action(async (traceId: string, options: { format: string }) => {
    if (options.format !== "otlp-json")
      throw new UsageError(`unknown format ${options.format}; expected otlp-json`);
    await withStore(async (store) =>
      console.log(JSON.stringify(toOtlpJson(await storedSpans(store, traceId)))),
    );
  });

traceCommand
  .command("replay")
  .description(
    "re-run a stored trace with one thing changed, from its recorded outputs, and say whether that fixed it",
  )
  .argument("<traceId>", "32 hex characters", traceIdArgument)
  .requiredOption("--what-if <change>", `the change: ${CHANGE_FORMS}`)
  .option("--json", "print the result as one JSON object")
  .action(async (traceId: string, options: { whatIf: string; json?: boolean }) => {
    const { whatIf, whatIfAll } = await loadWhatIf();
    const change = options.whatIf === "all" ? "all" : usage(() => parseChange(options.whatIf));
    const config = loadConfig();
    const store = await openTraceStore(config.traceStore);
    try {
      // Read the recording before starting anything: a trace that cannot be replayed is bad input.
      await usage(() => checkReplayable(store, governanceFor(config), traceId));
      const services = await startServicesFor(config, options.json);
      try {
        if (change === "all") {
          const all = await whatIfAll(traceId, config, services, store, CLI_READER);
          console.log(options.json ? JSON.stringify(all) : all.results.map(whatIfReport).join("\n\n"));
        } else {
          const result = await whatIf(traceId, change, config, services, store, CLI_READER);
          console.log(options.json ? JSON.stringify(result) : whatIfReport(result));
        }
      } finally {
        await services.stop();
      }
    } finally {
      await store.close();
    }
  });

traceCommand
  .command("push")
  .description("send stored traces to an OTLP/HTTP backend (Phoenix, Langfuse, Jaeger, a Collector)")
  .argument("[traceId]", "32 hex characters", traceIdArgument)
  .option("--all", "every stored trace")
  .option("--endpoint <url>", "OTLP/HTTP endpoint; default OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT")
  .option(
    "--protocol <protocol>",
    `${OTLP_PROTOCOLS.join(" | ")}; default OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL, else http/protobuf`,
    protocolArgument,
  )
  .option("--header <name=value>", "a header for every request, repeatable", collect, [] as string[])
  .option(
    "--annotations <backend>",
    "also send findings and feedback as annotations: phoenix",
    annotationsArgument,
  )
  .action(async (traceId: string | undefined, options: PushOptions) => {
    if (!traceId && !options.all) throw new UsageError("name a trace, or pass --all");
    const config = loadConfig();
    const target = {
      tracesUrl: usage(() => tracesUrlOf(options.endpoint)),
      protocol: options.protocol ?? defaultProtocol(),
      headers: usage(() => withApiToken(parseHeaders(options.header), config.incidentApiToken)),
    };
    await withStore(async (store) => {
      if (traceId) await storedSpans(store, traceId);
      const traceIds = options.all ? await store.traceIds() : [traceId as string];
      const pusher = new OtlpPusher(target);
      let spans = 0;
      let annotations = 0;
      try {
        for (const [index, id] of traceIds.entries()) {
          const traceSpans = await store.spansOf(id);
          // Pushing is not part of any trace: keep its own HTTP calls out of the store.
          await context.with(suppressTracing(context.active()), async () => {
            await pusher.pushSpans(traceSpans);
            if (options.annotations)
              annotations += await pusher.pushPhoenixAnnotations(await store.annotationsOf(id));
          });
          spans += traceSpans.length;
          if (options.all) process.stderr.write(`\rpushed ${index + 1}/${traceIds.length} traces`);
        }
      } catch (error) {
        if (!(error instanceof PushError)) throw error;
        console.error(pc.red(`\n${error.message}`));
        process.exitCode = 1;
        return;
      } finally {
        if (options.all) process.stderr.write("\n");
        await pusher.shutdown();
      }
      const annotated = options.annotations ? ` and ${annotations} annotations` : "";
      console.log(`sent ${spans} spans${annotated} of ${traceIds.length} traces to ${target.tracesUrl}`);
    });
  });

interface ExperimentOptions {
  tickets: number;
  seed: number;
  arms: string;
  ticketsFile?: string;
  concurrency: number;
  json?: boolean;
}

/** A whole-number option between `min` and `max`. */
function wholeNumberArgument(option: string, min: number, max: number) {
  return (value: string) => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || parsed < min || parsed > max)
      throw new InvalidArgumentError(`${option}: expected a whole number from ${min} to ${max}`);
    return parsed;
  };
}

/** A progress bar on stderr, so stdout keeps only the result; on a terminal it redraws, elsewhere it prints now and then. */
function progressBar(label: string) {
  return new SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} · {duration_formatted}`,
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 5_000,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
}

interface QueryOptions {
  json?: boolean;
  limit: string;
  groupBy: string;
  experiment?: string;
}

interface PushOptions {
  all?: boolean;
  endpoint?: string;
  protocol?: OtlpProtocol;
  header: string[];
  annotations?: "phoenix";
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function protocolArgument(value: string): OtlpProtocol {
  if (!(OTLP_PROTOCOLS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected ${OTLP_PROTOCOLS.join(" or ")}`);
  return value as OtlpProtocol;
}

function annotationsArgument(value: string): "phoenix" {
  if (value !== "phoenix") throw new InvalidArgumentError("expected phoenix (its span-annotation API)");
  return value;
}

/** The protocol the OTLP variables name, as the SDK reads them; protobuf when they name none. */
function defaultProtocol(): OtlpProtocol {
  const named = process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? process.env.OTEL_EXPORTER_OTLP_PROTOCOL;
  return named === "http/json" ? "http/json" : "http/protobuf";
}

/** An error from reading the options (an endpoint, arms, a change) is bad input: exit code 2. */
function usage<T>(read: () => T): T {
  const asUsageError = (error: unknown) => {
    if (error instanceof PushError || error instanceof ArmError || error instanceof WhatIfError)
      return new UsageError(error.message);
    return error;
  };
  try {
    const result = read();
    return result instanceof Promise
      ? (result.catch((error: unknown) => Promise.reject(asUsageError(error))) as T)
      : result;
  } catch (error) {
    throw asUsageError(error);
  }
}

try {
  await program.parseAsync(process.argv);
  const serving = ["start", "serve"].includes(program.args[0] ?? "");
  if (!serving) {
    await shutdownTelemetry();
    process.exit(process.exitCode ?? 0);
  }
} catch (error) {
  if (
    error instanceof ConfigError ||
    error instanceof UsageError ||
    error instanceof ScenarioError ||
    error instanceof WhatIfError ||
    error instanceof StoreUnavailableError
  ) {
    console.error(pc.red(error.message));
    process.exit(2);
  }
  throw error;
}
