/**
 * The OTLP load for the ingest benchmark, in a process of its own (`startSenders` in ingest.ts): the
 * spans are generated and protobuf-encoded here, then a few concurrent senders POST them when told to
 * start. Settings come as the one argument, in JSON; messages go over the IPC channel.
 */
import { once } from "node:events";
import { readdirSync } from "node:fs";
import { constants, setPriority } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { generateSpans } from "./generate.ts";
import { toReadableSpan } from "../../src/telemetry/readable-span.ts";
import { batchesOf } from "./stats.ts";

export interface SenderSettings {
  /** One receiver's URL, or several (replicas): sender `i` posts to `urls[i % urls.length]`. */
  urls: string[];
  senders: number;
  retryDelayMs: number;
  spanCount: number;
  seed: number;
  batchSpans: number;
}

/** What this process tells its parent: it is ready to send, then, once sent "start", what it sent. */
export type SendersMessage = "ready" | { refused: number };

const { urls, senders, retryDelayMs, spanCount, seed, batchSpans } = JSON.parse(
  process.argv[2] ?? "{}",
) as SenderSettings;
const tell = (message: SendersMessage) => {
  if (!process.send) throw new Error("otlp-senders runs as a child process with an IPC channel");
  process.send(message);
};
let refused = 0;

// The serializer writes each request into a fresh ArrayBuffer, which fetch takes as a body.
const bodies = batchesOf(generateSpans(spanCount, seed).map(toReadableSpan), batchSpans).map(
  (batch) => ProtobufTraceSerializer.serializeRequest(batch) as Uint8Array<ArrayBuffer>,
);

/** One export request; a full queue (429) is retried after `retryDelayMs`. */
async function post(url: string, body: Uint8Array<ArrayBuffer>) {
  for (;;) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body,
    });
    await response.arrayBuffer();
    if (response.ok) return;
    if (response.status !== 429) throw new Error(`OTLP receiver answered ${response.status}`);
    refused++;
    await sleep(retryDelayMs);
  }
}

/**
 * The senders stand for other machines: once ready, every thread of this process (V8's helpers, which
 * collect its garbage, included) takes a core only when the receiver's threads leave one. Linux gives
 * each thread a priority of its own; elsewhere the senders keep theirs. Not before: at the lowest
 * priority, on a machine kept busy by other work, loading and encoding took minutes.
 */
function yieldEveryThread() {
  try {
    for (const thread of readdirSync("/proc/self/task"))
      setPriority(Number(thread), constants.priority.PRIORITY_LOW);
  } catch {
    // No /proc (not Linux), or not permitted.
  }
}

yieldEveryThread();
tell("ready");
await once(process, "message");
let next = 0;
const sender = async (url: string) => {
  for (let body = bodies[next++]; body; body = bodies[next++]) await post(url, body);
};
await Promise.all(Array.from({ length: senders }, (_, index) => sender(urls[index % urls.length] as string)));
tell({ refused });
process.disconnect();
