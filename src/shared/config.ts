import { accessSync, constants, existsSync, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { durationSchema } from "../contracts/duration.ts";
import { isPostgresUrl } from "./postgres.ts";

/**
 * The assistant's configuration: one table of settings, each with its environment variable,
 * default and schema. `loadConfig` validates the whole table at start-up and names every bad variable.
 * `.env.example` documents the same table (a test keeps the two in step).
 */

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();
/** A name stamped on traces: empty, or up to 64 letters, digits and `_ . : / -`. */
const label = z
  .string()
  .regex(/^$|^[\w.:/-]{1,64}$/, { error: "expected up to 64 letters, digits and _ . : / -" });
const optionalUrl = z.union([z.literal(""), z.url()]).transform((url) => url || undefined);

export const ROUTING_POLICIES = ["quality-first", "cost-saver", "fast-only"] as const;
export const SYNTHESIZER_PROMPTS = ["v1", "v2"] as const;

/** `sim-large=3:15,sim-small=0.25:1.25`: USD per million input and output tokens, per model. */
const modelPrices = z
  .string()
  .regex(/^([\w.:/-]+=\d+(\.\d+)?:\d+(\.\d+)?)(,[\w.:/-]+=\d+(\.\d+)?:\d+(\.\d+)?)*$/, {
    error: "expected model=input:output pairs, e.g. sim-large=3:15,sim-small=0.25:1.25",
  })
  .transform((text) =>
    Object.fromEntries(
      text.split(",").map((pair) => {
        const [model = "", prices = ""] = pair.split("=");
        const [input = 0, output = 0] = prices.split(":").map(Number);
        return [model, { inputPerMTok: input, outputPerMTok: output }];
      }),
    ),
  );

/**
 * Readers in increasing order (analyst < reviewer < admin), after `ingest`, which reads nothing: it
 * may only send spans to the OTLP receiver.
 */
export const ROLES = ["ingest", "analyst", "reviewer", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** `analyst:tok1,reviewer:tok2`: bearer tokens and their roles. Empty: the API is open (loopback only by default). */
const apiTokens = z
  .string()
  .regex(/^$|^(ingest|analyst|reviewer|admin):[^,:\s]{8,}(,(ingest|analyst|reviewer|admin):[^,:\s]{8,})*$/, {
    error:
      "expected role:token pairs (roles ingest, analyst, reviewer, admin; tokens of 8+ characters), comma-separated",
  })
  .transform((text) => {
    const tokens = new Map<string, Role>();
    for (const pair of text.split(",").filter(Boolean)) {
      const [role, token] = pair.split(":") as [Role, string];
      tokens.set(token, role);
    }
    return tokens;
  });

export const SETTINGS = {
  host: {
    env: "HOST",
    default: "127.0.0.1",
    schema: z.string().min(1),
    doc: "Interface the API and viewer bind to.",
  },
  port: { env: "PORT", default: "3000", schema: port, doc: "Port of the API and trace viewer." },
  traceStore: {
    env: "TRACE_STORE",
    default: ".data/traces.db",
    schema: z.string().min(1),
    doc: "The trace store: a SQLite file, or postgres://user:password@host:port/db shared by many replicas.",
  },
  assistantLlm: {
    env: "ASSISTANT_LLM",
    default: "sim",
    schema: z.enum(["sim", "openai"]),
    doc: "`sim` starts the simulated model; `openai` uses OPENAI_BASE_URL and the route models below.",
  },
  openaiBaseUrl: {
    env: "OPENAI_BASE_URL",
    default: "",
    schema: optionalUrl,
    doc: "OpenAI-compatible endpoint (…/v1). Empty with ASSISTANT_LLM=sim: the simulated model on a free port.",
  },
  openaiApiKey: {
    env: "OPENAI_API_KEY",
    default: "sim-local-key",
    schema: z.string().min(1),
    doc: "Bearer token sent to the model server, the simulated one included.",
  },
  routerModel: {
    env: "ROUTER_MODEL",
    default: "sim-small",
    schema: z.string().min(1),
    doc: "Model that classifies.",
  },
  strongModel: {
    env: "STRONG_ROUTE_MODEL",
    default: "sim-large",
    schema: z.string().min(1),
    doc: "Model of the `strong` route.",
  },
  fastModel: {
    env: "FAST_ROUTE_MODEL",
    default: "sim-small",
    schema: z.string().min(1),
    doc: "Model of the `fast` route.",
  },
  modelPrices: {
    env: "MODEL_PRICES",
    default: "sim-large=3:15,sim-small=0.25:1.25",
    schema: modelPrices,
    doc: "USD per million input:output tokens, per model; sets `llm.cost.*`.",
  },
  routingPolicy: {
    env: "ROUTING_POLICY",
    default: "cost-saver",
    schema: z.enum(ROUTING_POLICIES),
    doc: "quality-first | cost-saver | fast-only.",
  },
  synthesizerPrompt: {
    env: "SYNTHESIZER_PROMPT",
    default: "v2",
    schema: z.enum(SYNTHESIZER_PROMPTS),
    doc: "Version of the synthesizer prompt template.",
  },
  experimentId: {
    env: "EXPERIMENT_ID",
    default: "",
    schema: label,
    doc: "An experiment this deployment takes part in, stamped on its traces (`incident.experiment.id`) so queries and the viewer group by it. Empty: none.",
  },
  experimentArm: {
    env: "EXPERIMENT_ARM",
    default: "",
    schema: label,
    doc: "This deployment's arm of EXPERIMENT_ID (`incident.experiment.arm`), e.g. cost-saver/v2.",
  },
  runbooksDir: {
    env: "RUNBOOKS_DIR",
    default: "runbooks",
    schema: z.string().min(1),
    doc: "Runbook corpus.",
  },
  runbookIndexAsOf: {
    env: "RUNBOOK_INDEX_AS_OF",
    default: "current",
    schema: z.union([z.literal("current"), z.iso.date()]),
    doc: "`current` or a date: the index holds the runbook versions in effect on that date.",
  },
  retrieverTopK: {
    env: "RETRIEVER_TOP_K",
    default: "4",
    schema: positiveInt,
    doc: "Documents per retrieval.",
  },
  mdmUrl: {
    env: "MDM_URL",
    default: "",
    schema: optionalUrl,
    doc: "MDM service. Empty: start the mock on a free port.",
  },
  sessionsUrl: {
    env: "SESSIONS_URL",
    default: "",
    schema: optionalUrl,
    doc: "Sessions service. Empty: start the mock on a free port.",
  },
  mdmApiToken: {
    env: "MDM_API_TOKEN",
    default: "dev-mdm-token",
    schema: z.string().min(1),
    doc: "MDM credential.",
  },
  sessionsApiToken: {
    env: "SESSIONS_API_TOKEN",
    default: "dev-sessions-token",
    schema: z.string().min(1),
    doc: "Sessions service credential (its scopes come from the world).",
  },
  toolTimeoutMs: {
    env: "TOOL_TIMEOUT_MS",
    default: "2000",
    schema: positiveInt,
    doc: "Timeout per tool HTTP attempt.",
  },
  toolMaxRetries: {
    env: "TOOL_MAX_RETRIES",
    default: "2",
    schema: z.coerce.number().int().min(0).max(5),
    doc: "Retries after a 5xx or timeout (never after a 4xx).",
  },
  traceRetention: {
    env: "TRACE_RETENTION",
    default: "30d",
    schema: durationSchema,
    doc: "How long the trace store keeps a trace (30s, 12h, 30d); older ones are deleted hourly.",
  },
  traceSettle: {
    env: "TRACE_SETTLE",
    default: "10s",
    schema: durationSchema,
    doc: "Quiet time after which `serve` diagnoses a trace it did not answer itself (spans sent over OTLP, or left partial by a crash).",
  },
  governance: {
    env: "GOVERNANCE",
    default: "on",
    schema: z.enum(["on", "off"]),
    doc: "`off` disables redaction, pseudonymization and payload tiers: only to prove the leak tests can fail.",
  },
  pseudonymizationKey: {
    env: "PSEUDONYMIZATION_KEY",
    default: "",
    schema: z.string(),
    doc: "HMAC key for pseudonyms (hex or base64, 32+ bytes). Empty: a per-installation key file beside TRACE_STORE.",
  },
  restrictedStore: {
    env: "RESTRICTED_STORE",
    default: ".data/restricted.db",
    schema: z.string().min(1),
    doc: "The restricted payload tier (raw prompts, tool bodies, answers), encrypted at rest: a SQLite file or a postgres:// URL of its own.",
  },
  restrictedStoreKey: {
    env: "RESTRICTED_STORE_KEY",
    default: "",
    schema: z.string(),
    doc: "AES-256-GCM key of the restricted store (hex or base64, 32 bytes). Empty: a key file beside TRACE_STORE.",
  },
  restrictedGrace: {
    env: "RESTRICTED_GRACE",
    default: "20m",
    schema: durationSchema,
    doc: "How long raw payloads wait for a keep decision (late escalations still promote them).",
  },
  restrictedRetention: {
    env: "RESTRICTED_RETENTION",
    default: "7d",
    schema: durationSchema,
    doc: "How long the restricted tier keeps payloads (shorter than TRACE_RETENTION).",
  },
  sampleHealthyRate: {
    env: "SAMPLE_HEALTHY_RATE",
    default: "0.1",
    schema: z.coerce.number().min(0).max(1),
    doc: "Share of healthy traces whose raw payloads are kept; failed, flagged and escalated ones always are.",
  },
  sampleMaxHealthyPerMinute: {
    env: "SAMPLE_MAX_HEALTHY_PER_MINUTE",
    default: "30",
    schema: z.coerce.number().int().min(0),
    doc: "Cap on healthy traces kept per minute.",
  },
  apiTokens: {
    env: "API_TOKENS",
    default: "",
    schema: apiTokens,
    doc: "role:token pairs (ingest, analyst, reviewer, admin). When set, every /v1 route needs a bearer token.",
  },
  incidentApiToken: {
    env: "INCIDENT_API_TOKEN",
    default: "",
    schema: z.string(),
    doc: "Bearer token CLI commands send to an API that has API_TOKENS set (`trace push`, unless --header names one).",
  },
  projectName: {
    env: "PHOENIX_PROJECT_NAME",
    default: "incident-assistant",
    schema: z.string().min(1),
    doc: "Project the traces land in, in Phoenix (resource attribute `openinference.project.name`).",
  },
  logLevel: {
    env: "LOG_LEVEL",
    default: "info",
    schema: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
    doc: "pino log level.",
  },
} as const;

type Settings = typeof SETTINGS;
export type Config = { [K in keyof Settings]: z.output<Settings[K]["schema"]> };

/** Where the model and the tool services answer: configured, or the mock services started on free ports. */
export interface ServiceUrls {
  llm: string;
  mdm: string;
  sessions: string;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * A SQLite store must be a file in a directory this process can write: checked at start-up, so a
 * bad path stops the program with its variable named instead of failing the first request. On a
 * PostgreSQL trace store, replicas share no directory for key files: the keys must be configured.
 */
export function checkStorePaths(
  config: Pick<Config, "traceStore" | "restrictedStore" | "pseudonymizationKey" | "restrictedStoreKey">,
): void {
  const problems: string[] = [];
  if (isPostgresUrl(config.traceStore)) {
    for (const [variable, key] of [
      [SETTINGS.pseudonymizationKey.env, config.pseudonymizationKey],
      [SETTINGS.restrictedStoreKey.env, config.restrictedStoreKey],
    ] as const) {
      if (!key.trim())
        problems.push(
          `${variable} must be set when TRACE_STORE is a PostgreSQL URL: every replica needs the same key`,
        );
    }
  }
  for (const [variable, path] of [
    [SETTINGS.traceStore.env, config.traceStore],
    [SETTINGS.restrictedStore.env, config.restrictedStore],
  ] as const) {
    if (path === ":memory:" || isPostgresUrl(path)) continue;
    try {
      mkdirSync(dirname(path), { recursive: true });
      accessSync(dirname(path), constants.W_OK);
      if (existsSync(path) && statSync(path).isDirectory()) throw new Error("it is a directory");
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      problems.push(`${variable}=${JSON.stringify(path)}: cannot hold a store there (${reason})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join("\n  ")}`);
}

/** Reads every setting from `env`, falling back to its default; throws one error naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const raw = env[setting.env] ?? setting.default;
    const parsed = setting.schema.safeParse(raw);
    if (parsed.success) config[key] = parsed.data;
    else problems.push(`${setting.env}=${JSON.stringify(raw)}: ${parsed.error.issues[0]?.message}`);
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join("\n  ")}`);
  return config as Config;
}
