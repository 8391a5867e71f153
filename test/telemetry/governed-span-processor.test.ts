import { describe, expect, it } from "vitest";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { GovernedSpanProcessor, normalizeErrorType } from "../../src/telemetry/governed-span-processor.ts";

describe("GovernedSpanProcessor", () => {
  it("hands exporters the transformed span with every other field of the original, read through", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new GovernedSpanProcessor(normalizeErrorType, [new SimpleSpanProcessor(exporter)])],
    });
    const tracer = provider.getTracer("governed-span-processor-test");
    const parent = tracer.startSpan("parent");
    const span = tracer.startSpan("child", { attributes: { "error.type": 503 } });
    // A field this code never names, as a later SDK might add: it must reach the exporter too.
    Object.assign(span, { fieldFromALaterSdk: "kept" });
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
    expect((exported as unknown as { fieldFromALaterSdk: string }).fieldFromALaterSdk).toBe("kept");
    await provider.shutdown();
  });
});
