import type { SpanRecord } from "../store/trace-store.ts";
import type { Governance } from "./runtime.ts";

/**
 * Governance for spans that arrive from other processes (the OTLP receiver), as the in-process
 * exporter applies it to its own: secrets redacted and personal data pseudonymized everywhere a
 * value can hide (name, attributes, events, links, resource, status message), raw payloads moved
 * to the restricted tier. The receiver cannot diagnose a trace before it is whole, so the tail
 * sampler decides on what it knows at once: traces with a failed span keep their payloads, a
 * sample of the others does.
 */
export function governSpanRecords(governance: Governance, spans: readonly SpanRecord[]): SpanRecord[] {
  if (!governance.enabled) return [...spans];
  const governed = spans.map((span) => governSpanRecord(governance, span));
  const failedByTrace = new Map<string, boolean>();
  for (const span of spans) {
    failedByTrace.set(
      span.traceId,
      (failedByTrace.get(span.traceId) ?? false) || span.statusCode === "ERROR",
    );
  }
  for (const [traceId, failed] of failedByTrace) {
    governance.tiers.decide({ traceId, failed, flagged: false, escalated: false });
  }
  return governed;
}

function governSpanRecord(governance: Governance, span: SpanRecord): SpanRecord {
  const governed = governance.govern({
    traceId: span.traceId,
    spanId: span.spanId,
    name: span.name,
    attributes: span.attributes,
    events: span.events,
  });
  const resource = governance.safeMetadata(span.resource);
  return {
    ...span,
    name: governed.name,
    service: typeof resource["service.name"] === "string" ? resource["service.name"] : span.service,
    attributes: governed.attributes,
    events: span.events.map((event, index) => ({
      timeNs: event.timeNs,
      name: governed.events[index]?.name ?? event.name,
      attributes: governed.events[index]?.attributes ?? {},
    })),
    links: span.links.map((link) => ({ ...link, attributes: governance.safeMetadata(link.attributes) })),
    resource,
    statusMessage: span.statusMessage === null ? null : governance.safeText(span.statusMessage),
    scope: span.scope && {
      name: governance.safeText(span.scope.name),
      ...(span.scope.version !== undefined && { version: governance.safeText(span.scope.version) }),
    },
  };
}
