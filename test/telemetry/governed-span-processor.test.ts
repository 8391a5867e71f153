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

  it("exports a span whose transform throws without its data, once for every exporter, and says so once a minute", async () => {
    let calls = 0;
    const transform = () => {
      calls++;
      throw new TypeError("the restricted store cannot be opened");
    };
    const warnings: Record<string, unknown>[] = [];
    let now = 0;
    const [first, second] = [new InMemorySpanExporter(), new InMemorySpanExporter()];
    const provider = new BasicTracerProvider({
      spanProcessors: [
        new GovernedSpanProcessor(
          transform,
          [new SimpleSpanProcessor(first), new SimpleSpanProcessor(second)],
          (fields) => warnings.push(fields),
          () => now,
        ),
      ],
    });
    const tracer = provider.getTracer("governed-span-processor-test");
    const ask = (attempt: number) => {
      const span = tracer.startSpan("ask alice@example.com", { attributes: { "input.value": "hunter2" } });
      span.addEvent("retry", { attempt });
      span.end();
    };
    // The transform runs when an exporter reads the span: each read here stands for a batch export.
    const readAll = () =>
      [first, second].flatMap((exporter) =>
        exporter
          .getFinishedSpans()
          .map((span) => ({ name: span.name, attributes: span.attributes, events: span.events })),
      );
    ask(1);
    ask(2);
    readAll();
    now = 61_000;
    ask(3);
    await provider.forceFlush();

    const stripped = {
      name: "governance failed",
      attributes: { "error.type": "governance_failed" },
      events: [],
    };
    expect(readAll()).toEqual(Array.from({ length: 6 }, () => stripped));
    expect(calls).toBe(3);
    expect(warnings).toEqual([
      { stripped_spans: 1, error_type: "TypeError" },
      { stripped_spans: 2, error_type: "TypeError" },
    ]);
    await provider.shutdown();
  });
});
