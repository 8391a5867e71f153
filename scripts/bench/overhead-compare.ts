import { spawn } from "node:child_process";
import { PROJECT_ROOT } from "../../src/shared/module-form.ts";
import { openTraceStore } from "../../src/store/trace-store.ts";
import type { OverheadSample } from "./overhead.ts";
import { median, progress, significant } from "./stats.ts";
import type { BenchStores } from "./stores.ts";

export interface OverheadResult {
  requests: number;
  spans_per_request: number;
  median_ms_off: number;
  median_ms_on: number;
  ratio: number;
  cpu_ms_added_per_request: number;
  cpu_us_per_span: number;
}

/** The assistant as `npm start` runs it: compiled (`npm run build`, which `npm run bench` runs first). */
const CHILD = ["--import", "./dist/src/telemetry/register.js", "dist/scripts/bench/overhead.js"];

type Mode = "off" | "on";

/**
 * Telemetry fully on (every process exporting to the store, governance included) against fully
 * off, with a model that answers at once: the worst relative cost a user can see. The sides
 * alternate (off, on, off, on, ...) so that a noisy neighbour slows both alike; their samples are pooled.
 */
export async function compareOverhead(
  requests: number,
  warmup: number,
  rounds: number,
  stores: BenchStores,
): Promise<{ overhead: OverheadResult; maxRssMb: number }> {
  const samples: Record<Mode, OverheadSample[]> = { off: [], on: [] };
  const onStores: string[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const mode of ["off", "on"] as const) {
      const traceStore = await stores.location(`overhead-${mode}-${round}`);
      if (mode === "on") onStores.push(traceStore);
      const sample = await runChild(mode, stores.env(traceStore), requests, warmup);
      progress(`overhead ${mode} (round ${round + 1}): median ${median(sample.wall_ms).toFixed(2)} ms`);
      samples[mode].push(sample);
    }
  }
  const medianOf = (mode: Mode) => median(samples[mode].flatMap((sample) => sample.wall_ms));
  const cpuPerRequest = (mode: Mode) =>
    samples[mode].reduce((total, sample) => total + sample.cpu_ms, 0) / (requests * rounds);
  const spans = await spansPerTrace(onStores);
  const medianOff = significant(medianOf("off"));
  const medianOn = significant(medianOf("on"));
  const cpuAdded = significant(cpuPerRequest("on") - cpuPerRequest("off"));
  return {
    overhead: {
      requests: requests * rounds,
      spans_per_request: spans.all,
      median_ms_off: medianOff,
      median_ms_on: medianOn,
      ratio: significant(medianOn / medianOff, 3),
      cpu_ms_added_per_request: cpuAdded,
      cpu_us_per_span: significant((cpuAdded * 1000) / spans.assistant, 3),
    },
    maxRssMb: Math.max(...[...samples.off, ...samples.on].map((sample) => sample.max_rss_mb)),
  };
}

function runChild(
  mode: Mode,
  storeEnv: Record<string, string>,
  requests: number,
  warmup: number,
): Promise<OverheadSample> {
  // Only the telemetry switch differs: no OTLP endpoint, sampler or masking setting leaks in.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(OTEL_|OPENINFERENCE_)/.test(name)),
  );
  Object.assign(env, { ...storeEnv, SIM_LATENCY_MS: "0", LOG_LEVEL: "warn" });
  if (mode === "off") env.OTEL_SDK_DISABLED = "true";
  const child = spawn(process.execPath, [...CHILD, String(requests), String(warmup)], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => {
      const line = stdout.trim().split("\n").at(-1) ?? "";
      if (code === 0 && line.startsWith("{")) resolve(JSON.parse(line) as OverheadSample);
      else reject(new Error(`overhead child (${mode}) exited with ${code}:\n${stderr.slice(-2000)}`));
    });
  });
}

/** Median spans per trace in the "on" stores: all four processes, and the assistant's own. */
async function spansPerTrace(paths: readonly string[]): Promise<{ all: number; assistant: number }> {
  const counts = [];
  for (const path of paths) {
    const store = await openTraceStore(path);
    const rows = await store.select<{ spans: bigint; assistant: bigint }>(
      `SELECT COUNT(*) AS spans, SUM(CASE WHEN service = 'incident-assistant' THEN 1 ELSE 0 END) AS assistant
       FROM spans GROUP BY trace_id`,
    );
    await store.close();
    counts.push(...rows.map((row) => ({ spans: Number(row.spans), assistant: Number(row.assistant) })));
  }
  if (counts.length === 0) throw new Error("the telemetry-on runs stored no spans");
  return {
    all: median(counts.map((row) => row.spans)),
    assistant: median(counts.map((row) => row.assistant)),
  };
}
