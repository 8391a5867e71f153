import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { openRestrictedStore } from "../../src/governance/restricted-store.ts";
import { loadOrCreateKey } from "../../src/governance/key.ts";
import { openTraceStore } from "../../src/store/trace-store.ts";
import { traceView } from "../../src/lifecycle/trace-view.ts";
import { runCli, tempStore, type CliRun } from "../helpers/processes.ts";
import { CANARIES, type Canary } from "../helpers/canaries.ts";

const canaries = CANARIES;
const secrets = canaries.filter((canary) => canary.kind === "secret");
const personal = canaries.filter((canary) => canary.kind === "pii");
const canary = (label: string) => canaries.find((entry) => entry.label === label)?.value as string;

/** Where a run left its traces: the files, what went out over OTLP, what it printed. */
interface RunArtifacts {
  storeFiles: Buffer;
  restrictedFiles: Buffer;
  otlp: Buffer;
  stdout: string;
  stderr: string;
  traceView: string;
  restrictedPlain: string;
}

/** An OTLP/HTTP endpoint that keeps the raw bytes of every export it receives. */
async function otlpCapture(): Promise<{ url: string; bodies: Buffer[]; server: Server }> {
  const bodies: Buffer[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      bodies.push(Buffer.concat(chunks));
      res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, server };
}

const read = (path: string) => (existsSync(path) ? readFileSync(path) : Buffer.alloc(0));
const filesOf = (path: string) => Buffer.concat([read(path), read(`${path}-wal`)]);

/** Replays one scenario that carries every canary through every input, governance on or off. */
async function replayWithCanaries(governance: "on" | "off"): Promise<RunArtifacts> {
  const { dir, traceStore } = tempStore();
  const restrictedStore = join(dir, "restricted.db");
  const everything = canaries.map((entry) => entry.value).join(" ; ");
  const scenario = join(dir, "canaries.yaml");
  writeFileSync(
    scenario,
    stringify({
      id: "canaries",
      title: "Every canary through every input",
      request: {
        question: `${canary("employee_name")} (${canary("employee_id")}) reports laptop LT-7001 stolen. Is it encrypted? Revoke her sessions. Context: ${everything}`,
        analyst: "analyst-7",
      },
      world: {
        mdm: {
          devices: [
            {
              asset: "LT-7001",
              serial: canary("device_serial"),
              owner: canary("employee_id"),
              owner_name: canary("employee_name"),
              owner_email: canary("email"),
              last_seen_ip: canary("ipv4"),
              encrypted: true,
              model: `MacBook Pro ${secrets.map((entry) => entry.value).join(" ")}`,
              os: `macOS 15.1 ${canary("phone")} ${canary("ipv6")}`,
            },
          ],
        },
        sessions: { service_account_scopes: ["sessions:read"] },
      },
      feedback: { outcome: "escalated", after: "15m", comment: `Still active. ${everything}` },
    }),
  );
  const capture = await otlpCapture();
  let run: CliRun;
  try {
    run = await runCli(["replay", scenario, "--json"], {
      TRACE_STORE: traceStore,
      RESTRICTED_STORE: restrictedStore,
      GOVERNANCE: governance,
      LOG_LEVEL: "debug",
      OTEL_EXPORTER_OTLP_ENDPOINT: capture.url,
      OPENAI_API_KEY: canary("openai_api_key"),
      MDM_API_TOKEN: canary("github_token"),
      SESSIONS_API_TOKEN: canary("slack_bot_token"),
    });
  } finally {
    capture.server.close();
  }
  expect(run.code, run.stderr).toBe(0);
  const traceId = (JSON.parse(run.stdout) as { traceId: string }).traceId;
  const store = await openTraceStore(traceStore);
  const view = JSON.stringify(await traceView(store, traceId));
  await store.close();
  let restrictedPlain = "";
  if (governance === "on") {
    const key = loadOrCreateKey({ path: join(dir, "restricted.key") });
    const restricted = openRestrictedStore(restrictedStore, key);
    restrictedPlain = JSON.stringify(await restricted.read(traceId, "test-reviewer"));
    await restricted.close();
  }
  return {
    storeFiles: filesOf(traceStore),
    restrictedFiles: filesOf(restrictedStore),
    otlp: Buffer.concat(capture.bodies),
    stdout: run.stdout,
    stderr: run.stderr,
    traceView: view,
    restrictedPlain,
  };
}

const found = (haystack: Buffer | string, needles: Canary[]) =>
  needles.filter((entry) => haystack.includes(entry.needle)).map((entry) => entry.label);

describe("canaries through every input", () => {
  let on: RunArtifacts;
  let off: RunArtifacts;
  beforeAll(async () => {
    [on, off] = await Promise.all([replayWithCanaries("on"), replayWithCanaries("off")]);
  });
  afterAll(() => undefined);

  it("leaves no secret in the store files, the OTLP export, the logs or the answers", () => {
    expect(found(on.storeFiles, secrets)).toEqual([]);
    expect(found(on.restrictedFiles, secrets)).toEqual([]);
    expect(found(on.otlp, secrets)).toEqual([]);
    expect(found(on.stderr, secrets)).toEqual([]);
    expect(found(on.stdout, secrets)).toEqual([]);
    expect(found(on.traceView, secrets)).toEqual([]);
    expect(found(on.restrictedPlain, secrets)).toEqual([]);
    expect(on.otlp.length).toBeGreaterThan(1_000);
  });

  it("keeps personal data out of every place but the restricted tier", () => {
    expect(found(on.storeFiles, personal)).toEqual([]);
    expect(found(on.otlp, personal)).toEqual([]);
    expect(found(on.stderr, personal)).toEqual([]);
    expect(found(on.traceView, personal)).toEqual([]);
    expect(found(on.restrictedFiles, personal)).toEqual([]);
    expect(found(on.restrictedPlain, personal)).toEqual(personal.map((entry) => entry.label));
  });

  it("catches the leak when governance is switched off (the test can fail)", () => {
    expect(found(off.storeFiles, secrets).length).toBeGreaterThan(5);
    expect(found(off.otlp, secrets).length).toBeGreaterThan(5);
    expect(found(off.storeFiles, personal).length).toBeGreaterThan(3);
  });
});
