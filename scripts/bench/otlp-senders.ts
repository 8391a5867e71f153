/**
 * The OTLP load for the ingest benchmark, in a thread of its own so that the receiver's thread holds
 * nothing but the receiver: the spans are generated and protobuf-encoded here, then a few concurrent
 * senders POST them when told to start.
 */
import { once } from "node:events";
import { constants } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { parentPort, workerData } from "node:worker_threads";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { generateSpans } from "./generate.ts";
import { toReadableSpan } from "../../src/telemetry/readable-span.ts";
import { batchesOf } from "./stats.ts";
import { runInBackground } from "../../src/shared/thread-priority.ts";

export interface SenderSettings {
  /** One receiver's URL, or several (replicas): sender `i` posts to `urls[i % urls.length]`. */
  urls: string[];
  senders: number;
  retryDelayMs: number;
  spanCount: number;
  seed: number;
  batchSpans: number;
}

const { urls, senders, retryDelayMs, spanCount, seed, batchSpans } = workerData as SenderSettings;
// The senders stand for other machines: they take a core only when the receiver's threads leave one.
runInBackground(constants.priority.PRIORITY_LOW);
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

const port = parentPort;
if (!port) throw new Error("otlp-senders runs as a worker thread");
port.postMessage("ready");
await once(port, "message");
let next = 0;
const sender = async (url: string) => {
  for (let body = bodies[next++]; body; body = bodies[next++]) await post(url, body);
};
await Promise.all(Array.from({ length: senders }, (_, index) => sender(urls[index % urls.length] as string)));
port.postMessage({ refused });
