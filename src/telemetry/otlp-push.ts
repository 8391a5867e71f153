import { ExportResultCode, getStringFromEnv, parseKeyPairsIntoRecord } from "@opentelemetry/core";
import { OTLPTraceExporter as ProtobufTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { OTLPTraceExporter as JsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import type { SpanExporter } from "@opentelemetry/sdk-trace-base";
import type { AnnotationRecord, SpanRecord } from "../store/trace-store.ts";
import { toReadableSpan } from "./readable-span.ts";

export const OTLP_PROTOCOLS = ["http/protobuf", "http/json"] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** Where and how stored traces are pushed. */
export interface PushTarget {
  /** The OTLP/HTTP traces URL, …/v1/traces. */
  tracesUrl: string;
  protocol: OtlpProtocol;
  /** `--header` values; OTEL_EXPORTER_OTLP_(TRACES_)HEADERS apply beneath them. */
  headers: Record<string, string>;
}

export class PushError extends Error {
  override name = "PushError";
}

const SPANS_PER_EXPORT = 512;
const ANNOTATIONS_PER_REQUEST = 100;
const ANNOTATION_ATTEMPTS = 4;

/**
 * The traces URL as the OTLP exporters resolve it: `--endpoint` (a bare origin gets `/v1/traces`),
 * else OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, else OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`.
 */
export function tracesUrlOf(endpoint: string | undefined): string {
  const signalEndpoint = getStringFromEnv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  const baseEndpoint = getStringFromEnv("OTEL_EXPORTER_OTLP_ENDPOINT");
  if (endpoint !== undefined) {
    const url = httpUrl(endpoint);
    if (url.pathname === "/") url.pathname = "/v1/traces";
    return url.href;
  }
  if (signalEndpoint !== undefined) return httpUrl(signalEndpoint).href;
  if (baseEndpoint !== undefined) {
    const url = httpUrl(baseEndpoint);
    url.pathname = `${url.pathname.replace(/\/$/, "")}/v1/traces`;
    return url.href;
  }
  throw new PushError("no OTLP endpoint: pass --endpoint, or set OTEL_EXPORTER_OTLP_ENDPOINT");
}

function httpUrl(text: string): URL {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  // "localhost:4318" parses, as a URL of scheme "localhost:".
  if (url?.protocol !== "http:" && url?.protocol !== "https:")
    throw new PushError(`OTLP endpoint ${JSON.stringify(text)} is not an http(s) URL`);
  return url;
}

/** `name=value` pairs of `--header`, as the OTLP header variables spell them. */
export function parseHeaders(pairs: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new PushError(`--header ${JSON.stringify(pair)}: expected name=value`);
    headers[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return headers;
}

/**
 * Adds `token` (INCIDENT_API_TOKEN) as the bearer token, unless a --header or the
 * OTEL_EXPORTER_OTLP_(TRACES_)HEADERS variables already send an Authorization header.
 */
export function withApiToken(
  headers: Record<string, string>,
  token: string,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const named = [
    ...Object.keys(headers),
    ...[env.OTEL_EXPORTER_OTLP_HEADERS, env.OTEL_EXPORTER_OTLP_TRACES_HEADERS].flatMap((list) =>
      (list ?? "").split(",").map((pair) => pair.split("=")[0]?.trim() ?? ""),
    ),
  ];
  const authorized = named.some((name) => name.toLowerCase() === "authorization");
  return token && !authorized ? { ...headers, authorization: `Bearer ${token}` } : headers;
}

/**
 * Sends stored spans with the official OTLP exporters (protobuf or JSON over HTTP), so endpoint,
 * headers, compression and timeout follow the OTEL_EXPORTER_OTLP_* variables and a 429 or 503 is
 * retried after its Retry-After; and, for Phoenix, the traces' annotations to its span-annotation API.
 */
export class OtlpPusher {
  private readonly exporter: SpanExporter;

  constructor(private readonly target: PushTarget) {
    const config = { url: target.tracesUrl, headers: target.headers };
    this.exporter =
      target.protocol === "http/json" ? new JsonTraceExporter(config) : new ProtobufTraceExporter(config);
  }

  async pushSpans(spans: readonly SpanRecord[]): Promise<void> {
    for (let start = 0; start < spans.length; start += SPANS_PER_EXPORT) {
      const chunk = spans.slice(start, start + SPANS_PER_EXPORT).map(toReadableSpan);
      const result = await new Promise<{ code: ExportResultCode; error?: Error }>((resolve) =>
        this.exporter.export(chunk, resolve),
      );
      if (result.code !== ExportResultCode.SUCCESS) {
        throw new PushError(`${this.target.tracesUrl} refused the spans: ${describe(result.error)}`);
      }
    }
  }

  /**
   * Phoenix span annotations (`POST <base>/v1/span_annotations`, base = the traces URL without
   * `/v1/traces`). Each carries its identifier, so pushing again updates instead of duplicating.
   */
  async pushPhoenixAnnotations(annotations: readonly AnnotationRecord[]): Promise<number> {
    const url = new URL(this.target.tracesUrl);
    url.pathname = `${url.pathname.replace(/\/v1\/traces\/?$/, "")}/v1/span_annotations`;
    const headers = { ...envHeaders(), ...this.target.headers, "content-type": "application/json" };
    const onSpans = annotations.filter((annotation) => annotation.spanId !== null);
    for (let start = 0; start < onSpans.length; start += ANNOTATIONS_PER_REQUEST) {
      const data = onSpans.slice(start, start + ANNOTATIONS_PER_REQUEST).map(toPhoenixAnnotation);
      await postWithRetries(url.href, headers, JSON.stringify({ data }));
    }
    return onSpans.length;
  }

  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }
}

function toPhoenixAnnotation(annotation: AnnotationRecord) {
  return {
    span_id: annotation.spanId,
    name: annotation.name,
    annotator_kind: annotation.annotatorKind,
    result: { label: annotation.label, score: annotation.score, explanation: annotation.explanation },
    metadata: annotation.metadata,
    identifier: annotation.identifier,
  };
}

/** The headers the OTLP exporter would send, from the environment; `--header` overrides them. */
function envHeaders(): Record<string, string> {
  return {
    ...parseKeyPairsIntoRecord(getStringFromEnv("OTEL_EXPORTER_OTLP_HEADERS")),
    ...parseKeyPairsIntoRecord(getStringFromEnv("OTEL_EXPORTER_OTLP_TRACES_HEADERS")),
  };
}

/** POSTs, retrying a 429 or 5xx after its Retry-After (a second when it gives none, at most ten). */
async function postWithRetries(url: string, headers: Record<string, string>, body: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(url, { method: "POST", headers, body });
    } catch (error) {
      const reason = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      throw new PushError(`could not reach ${url}: ${describe(reason)}`);
    }
    if (response.ok) return;
    const text = (await response.text()).slice(0, 300);
    const retryable = response.status === 429 || response.status >= 500;
    if (!retryable || attempt === ANNOTATION_ATTEMPTS)
      throw new PushError(`${url} answered ${response.status} ${response.statusText}: ${text}`);
    const seconds = Number(response.headers.get("retry-after"));
    const waitMs = Math.min(Number.isFinite(seconds) && seconds > 0 ? seconds : 1, 10) * 1000;
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error ?? "unknown error");
  const data = (error as { data?: unknown }).data;
  const code = (error as { code?: unknown }).code;
  return [error.message, code, typeof data === "string" ? data.slice(0, 300) : undefined]
    .filter((part) => part !== undefined && part !== "")
    .join(": ");
}
