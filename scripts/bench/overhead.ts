/**
 * One side of the overhead comparison, in its own process so that telemetry is either fully loaded
 * or not at all:
 *
 *   node --import ./dist/src/telemetry/register.js dist/scripts/bench/overhead.js <requests> <warmup>
 *
 * with OTEL_SDK_DISABLED=true for the "off" side. Starts the mock services and the simulated model
 * (SIM_LATENCY_MS=0), answers the questions one after another in process, and prints one JSON line:
 * the wall time of each request and the CPU this process spent on all of them, telemetry export included.
 */
import { answerIncident, createAssistant } from "../../src/agent/pipeline.ts";
import { loadConfig } from "../../src/shared/config.ts";
import { startServices } from "../../src/services/start-services.ts";
import { flushTelemetry, shutdownTelemetry } from "../../src/telemetry/handle.ts";

export interface OverheadSample {
  wall_ms: number[];
  cpu_ms: number;
  max_rss_mb: number;
}

const QUESTION =
  "Elena Ruiz (E-10442) reports laptop LT-4821 stolen at the airport. Is it encrypted, and are her sessions revoked?";

const [requests = 0, warmup = 0] = process.argv.slice(2).map(Number);
const config = loadConfig();
const services = await startServices(config);
try {
  const assistant = createAssistant(config, services.urls);
  const ask = () => answerIncident(assistant, { question: QUESTION, analyst: "analyst-7" });
  for (let index = 0; index < warmup; index++) await ask();
  await flushTelemetry();
  const cpuBefore = process.cpuUsage();
  const wallMs: number[] = [];
  for (let index = 0; index < requests; index++) {
    const started = performance.now();
    await ask();
    wallMs.push(performance.now() - started);
  }
  // Spans still queued in the batch processor were created by these requests: their export counts.
  await flushTelemetry();
  const cpu = process.cpuUsage(cpuBefore);
  const sample: OverheadSample = {
    wall_ms: wallMs,
    cpu_ms: (cpu.user + cpu.system) / 1000,
    max_rss_mb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(sample)}\n`);
} finally {
  await services.stop();
  await shutdownTelemetry();
}
