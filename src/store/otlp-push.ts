import { toOtlpJson } from "./otlp.ts";
import type { SpanRecord } from "./trace-store.ts";

const SPANS_PER_REQUEST = 1000;

/**
 * Sends stored spans to an OTLP/HTTP backend (Phoenix, Jaeger, Langfuse, a Collector) as OTLP/JSON.
 * An endpoint without a path gets `/v1/traces`, like OTEL_EXPORTER_OTLP_ENDPOINT. `sent` leaves out
 * spans the backend reported as rejected; any non-2xx answer throws.
 */
export async function pushTraces(
  spans: readonly SpanRecord[],
  endpoint: string,
  headers: Record<string, string> = {},
): Promise<{ sent: number }> {
  const url = tracesUrl(endpoint);
  let sent = 0;
  for (let start = 0; start < spans.length; start += SPANS_PER_REQUEST) {
    const chunk = spans.slice(start, start + SPANS_PER_REQUEST);
    const response = await post(url, JSON.stringify(toOtlpJson(chunk)), headers);
    const body = await response.text();
    if (!response.ok)
      throw new Error(
        `OTLP endpoint ${url} answered ${response.status} ${response.statusText}: ${body.slice(0, 500)}`,
      );
    sent += chunk.length - rejectedSpans(body);
  }
  return { sent };
}

function tracesUrl(endpoint: string): string {
  const url = URL.canParse(endpoint) ? new URL(endpoint) : undefined;
  // "localhost:4318" parses, as a URL of scheme "localhost:".
  if (url?.protocol !== "http:" && url?.protocol !== "https:")
    throw new Error(`OTLP endpoint ${JSON.stringify(endpoint)} is not an http(s) URL`);
  if (url.pathname === "/") url.pathname = "/v1/traces";
  return url.href;
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<Response> {
  try {
    return await fetch(url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body,
    });
  } catch (error) {
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, ...) is its cause.
    const reason = error instanceof Error && error.cause instanceof Error ? error.cause : (error as Error);
    throw new Error(`could not reach OTLP endpoint ${url}: ${reason.message}`, { cause: error });
  }
}

/** `partialSuccess.rejectedSpans` of an OTLP/JSON response; an empty or non-JSON body rejected none. */
function rejectedSpans(body: string): number {
  try {
    const response = JSON.parse(body) as { partialSuccess?: { rejectedSpans?: string | number } } | null;
    return Number(response?.partialSuccess?.rejectedSpans ?? 0) || 0;
  } catch {
    return 0;
  }
}
