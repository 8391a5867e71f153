/**
 * OpenTelemetry for every process of the project (assistant, mock services, CLI). Load it before
 * the app so `http` and `fetch` are patched before anything imports them:
 *
 *   node --import tsx --import ./src/telemetry/register.ts src/cli.ts
 *
 * Spans go to the local SQLite store (TRACE_STORE) and, when OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set, to any OTLP backend (Phoenix, Jaeger, Langfuse, a Collector).
 * Metrics are served in Prometheus format by the app's /metrics route. OTEL_SDK_DISABLED=true turns it all off;
 * OTEL_NODE_DISABLED_INSTRUMENTATIONS (`http`, `undici`, `langchain`, comma-separated) turns off single ones.
 */
import { getBooleanFromEnv } from "@opentelemetry/core";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { BatchSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { envDetector, hostDetector, osDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { SEMRESATTRS_PROJECT_NAME } from "@arizeai/openinference-semantic-conventions";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { checkStorePaths, ConfigError, loadConfig, type Config } from "../shared/config.ts";
import { governanceFor } from "../governance/runtime.ts";
import { StoreSpanExporter } from "./store-span-exporter.ts";
import { ReportedSpanExporter } from "./reported-exporter.ts";
import { configureLog } from "../instrumentation/log.ts";
import { installTelemetryHandle } from "./handle.ts";
import { GovernedSpanProcessor, governSpans, normalizeErrorType } from "./governed-span-processor.ts";
import { enrichLlmSpans } from "./llm-span-enricher.ts";

const env = process.env;
env.OTEL_SERVICE_NAME ??= "incident-assistant";
// Other processes (the replay runner) wait for spans to reach the store: keep batches short.
env.OTEL_BSP_SCHEDULE_DELAY ??= "200";
// The Node SDK's convention. The mock services turn LangChain off: they never use it, and loading it
// costs each of them about half a second of start-up.
const disabled = new Set(
  (env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ?? "").split(",").map((name) => name.trim()),
);
const langchain = disabled.has("langchain") ? undefined : await import("./langchain.ts");
langchain?.awaitLangChainCallbacks(env);

const config = configOrExit();
configureLog(config);
// Created now, before this process starts any other: it creates the installation's key files.
const governance = governanceFor(config);
const exportProcessors: SpanProcessor[] = [
  new BatchSpanProcessor(new ReportedSpanExporter(new StoreSpanExporter(config.traceStore), "sqlite")),
];
if (env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
  exportProcessors.push(new BatchSpanProcessor(new ReportedSpanExporter(new OTLPTraceExporter(), "otlp")));
}
const governSpan = governSpans(governance);
const enrichLlmSpan = enrichLlmSpans(config.modelPrices);
// Every span, before any exporter sees it: normalized, LLM spans completed, then governed.
const spanProcessors = [
  new GovernedSpanProcessor((span) => governSpan(enrichLlmSpan(normalizeErrorType(span))), exportProcessors),
];

const prometheus = new PrometheusExporter({ preventServerStart: true });

const sdk = new NodeSDK({
  spanProcessors,
  // Phoenix files traces by project; without one they land in its `default` project.
  resource: resourceFromAttributes({ [SEMRESATTRS_PROJECT_NAME]: config.projectName }),
  // Not the process detector: its command-line arguments may hold a question, or a secret.
  resourceDetectors: [envDetector, hostDetector, osDetector],
  // Our own reader: without one, NodeSDK would push OTLP metrics to localhost:4318.
  metricReaders: [prometheus],
  logRecordProcessors: [],
  instrumentations: [
    // Incoming requests are not auto-traced: the assistant starts its AGENT root span from the
    // caller's traceparent itself, and the mock services do the same in mock-tools/shared/service.ts.
    disabled.has("http") ? [] : new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }),
    disabled.has("undici") ? [] : new UndiciInstrumentation(),
  ].flat(),
});
sdk.start();
// After start: the instrumentation takes its tracer from the global provider NodeSDK has just registered.
if (!getBooleanFromEnv("OTEL_SDK_DISABLED")) langchain?.instrumentLangChain();

installTelemetryHandle({
  flush: async () => {
    await Promise.all(spanProcessors.map((processor) => processor.forceFlush()));
  },
  shutdown: () => sdk.shutdown(),
  serveMetrics: (request, response) => prometheus.getMetricsRequestHandler(request, response),
  metricsText: async () => new PrometheusSerializer().serialize((await prometheus.collect()).resourceMetrics),
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void sdk.shutdown().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  });
}

function configOrExit(): Config {
  try {
    const config = loadConfig();
    checkStorePaths(config);
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}
