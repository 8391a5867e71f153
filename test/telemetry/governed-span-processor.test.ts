import { context, trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-base";
import {
  GovernedSpanProcessor,
  normalizeErrorType,
  withData,
} from "../../src/telemetry/governed-span-processor.ts";

describe("GovernedSpanProcessor", () => {
  it("hands exporters the transformed span with every other field of the original", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new GovernedSpanProcessor(normalizeErrorType, [new SimpleSpanProcessor(exporter)])],
    });
    const tracer = provider.getTracer("governed-span-processor-test");
    const parent = tracer.startSpan("parent");
    const span = tracer.startSpan(
      "child",
      { attributes: { "error.type": 503 } },
      trace.setSpan(context.active(), parent),
    );
    span.addEvent("retry", { attempt: 2 });
    span.end();
    parent.end();
    await provider.forceFlush();

    const exported = exporter.getFinishedSpans().find((finished) => finished.name === "child");
    expect(exported?.attributes).toEqual({ "error.type": "503" });
    expect(exported?.spanContext()).toEqual(span.spanContext());
    expect(exported?.events.map((event) => event.name)).toEqual(["retry"]);
    expect(exported?.ended).toBe(true);
    expect(exported?.duration).toEqual((span as unknown as { duration: unknown }).duration);
    expect(exported?.instrumentationScope.name).toBe("governed-span-processor-test");
    // Every other field of ReadableSpan, as the SDK's own span has it. A field a later SDK adds to the
    // interface fails the type check of the wrapper (it implements ReadableSpan) at the upgrade.
    const original = span as unknown as ReadableSpan;
    const readThrough: (keyof ReadableSpan)[] = [
      "kind",
      "parentSpanContext",
      "startTime",
      "endTime",
      "status",
      "links",
      "resource",
      "droppedAttributesCount",
      "droppedEventsCount",
      "droppedLinksCount",
    ];
    for (const field of readThrough) expect(exported?.[field], field).toEqual(original[field]);
    expect(exported?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    await provider.shutdown();
  });

  it("transforms a span when an exporter first reads it, once for every exporter, not as it ends", async () => {
    const transformed: string[] = [];
    const transform = (span: ReadableSpan) => {
      transformed.push(span.name);
      return withData(span, { name: `governed ${span.name}`, attributes: {} });
    };
    const [first, second] = [new InMemorySpanExporter(), new InMemorySpanExporter()];
    const provider = new BasicTracerProvider({
      spanProcessors: [
        new GovernedSpanProcessor(transform, [
          new SimpleSpanProcessor(first),
          new SimpleSpanProcessor(second),
        ]),
      ],
    });
    provider
      .getTracer("governed-span-processor-test")
      .startSpan("ask", { attributes: { secret: "x" } })
      .end();
    await provider.forceFlush();
    // The in-memory exporters keep the spans they are handed without reading them.
    expect(transformed).toEqual([]);

    const [fromFirst] = first.getFinishedSpans();
    const [fromSecond] = second.getFinishedSpans();
    expect(fromFirst?.name).toBe("governed ask");
    expect(fromSecond?.attributes).toEqual({});
    expect(fromFirst?.events).toEqual([]);
    expect(transformed).toEqual(["ask"]);
    await provider.shutdown();
  });
});
