import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Config, ServiceUrls } from "../shared/config.ts";
import { loaderFlags, runnableModule } from "../shared/module-form.ts";

const MOCK_SERVICES = ["llm", "mdm", "sessions"] as const;
type MockService = (typeof MOCK_SERVICES)[number];

const entryOf = (service: MockService) => fileURLToPath(runnableModule(`mock-tools/${service}/main`));
const TELEMETRY = runnableModule("src/telemetry/register").href;
/**
 * Only for a service that hangs: one that fails exits, and is reported at once. Run from its
 * TypeScript sources, tsx compiles each service at start-up, which on a busy 2-core machine took over 20 s.
 */
const STARTUP_TIMEOUT_MS = 120_000;

export interface RunningServices {
  urls: ServiceUrls;
  /** The mock services this process started (not those configured by URL). */
  started: Partial<Record<MockService, string>>;
  stop(): Promise<void>;
}

/**
 * Starts each mock service whose URL is not configured, as its own process with its own
 * `service.name`, on a free port; each writes its spans to the same trace store.
 */
export async function startServices(config: Config): Promise<RunningServices> {
  const configured: Record<MockService, string | undefined> = {
    llm:
      config.assistantLlm === "openai"
        ? (config.openaiBaseUrl ?? "https://api.openai.com/v1")
        : config.openaiBaseUrl,
    mdm: config.mdmUrl,
    sessions: config.sessionsUrl,
  };
  const children: ChildProcess[] = [];
  const stopAll = () => Promise.all(children.map(stopChild)).then(() => undefined);
  process.once("exit", () => children.forEach((child) => child.kill()));
  try {
    const started = Object.fromEntries(
      await Promise.all(
        MOCK_SERVICES.filter((service) => !configured[service]).map(async (service) => {
          const child = spawnService(service, config);
          children.push(child);
          return [service, await urlOf(child, service)] as const;
        }),
      ),
    ) as Partial<Record<MockService, string>>;
    const url = (service: MockService) => (configured[service] ?? started[service]) as string;
    return {
      urls: { llm: config.openaiBaseUrl ?? `${url("llm")}/v1`, mdm: url("mdm"), sessions: url("sessions") },
      started,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function spawnService(service: MockService, config: Config): ChildProcess {
  return spawn(process.execPath, [...loaderFlags(), "--import", TELEMETRY, entryOf(service)], {
    env: {
      ...process.env,
      OTEL_SERVICE_NAME: service,
      // No mock service uses LangChain: skipping its instrumentation saves each a share of start-up.
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: [process.env.OTEL_NODE_DISABLED_INSTRUMENTATIONS, "langchain"]
        .filter(Boolean)
        .join(","),
      PORT: "0",
      TRACE_STORE: config.traceStore,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
}

/** A service announces itself with one JSON line on stdout: `{"service","url"}`. */
function urlOf(child: ChildProcess, service: MockService): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(
      () => reject(new Error(`${service} did not start within ${STARTUP_TIMEOUT_MS} ms`)),
      STARTUP_TIMEOUT_MS,
    );
    child.once("exit", (code) => reject(new Error(`${service} exited with code ${code} before it started`)));
    lines.on("line", (line) => {
      try {
        const announced = JSON.parse(line) as { url?: unknown };
        if (typeof announced.url !== "string") return;
        clearTimeout(timer);
        lines.close();
        child.stdout!.resume(); // drain anything else it prints
        resolve(announced.url);
      } catch {
        // Not the announcement line.
      }
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
