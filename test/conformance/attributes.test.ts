import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { OpenInferenceSpanKind, SemanticConventions } from "@arizeai/openinference-semantic-conventions";
import * as otelIncubating from "@opentelemetry/semantic-conventions/incubating";
import { openTraceStore, type SpanRecord } from "../../src/store/trace-store.ts";
import { ATTR } from "../../src/contracts/semconv.ts";
import { replayedStores } from "../helpers/shared-replay.ts";

type AttributeType = "string" | "int" | "double" | "boolean" | "string[]" | "any";
interface RegistryAttribute {
  id: string;
  type: AttributeType;
  dynamic?: boolean;
}
const registry = (
  parse(readFileSync(new URL("../../telemetry-schema/registry.yaml", import.meta.url), "utf8")) as {
    groups: { attributes: RegistryAttribute[] }[];
  }
).groups.flatMap((group) => group.attributes);

/** Every name OpenInference defines, e.g. `llm.input_messages`, `message.role`, `document.id`. */
const OPENINFERENCE_NAMES = new Set<string>(Object.values(SemanticConventions));
const OPENINFERENCE_KINDS = new Set<string>(Object.values(OpenInferenceSpanKind));
const OPENINFERENCE_TYPES: Record<string, AttributeType> = {
  [SemanticConventions.INPUT_VALUE]: "string",
  [SemanticConventions.OUTPUT_VALUE]: "string",
  [SemanticConventions.LLM_MODEL_NAME]: "string",
  [SemanticConventions.LLM_TOKEN_COUNT_PROMPT]: "int",
  [SemanticConventions.LLM_TOKEN_COUNT_COMPLETION]: "int",
  [SemanticConventions.LLM_TOKEN_COUNT_TOTAL]: "int",
  [SemanticConventions.LLM_COST_PROMPT]: "double",
  [SemanticConventions.LLM_COST_COMPLETION]: "double",
  [SemanticConventions.LLM_COST_TOTAL]: "double",
  [SemanticConventions.LLM_INVOCATION_PARAMETERS]: "string",
  [SemanticConventions.PROMPT_TEMPLATE_VARIABLES]: "string",
  [SemanticConventions.DOCUMENT_SCORE]: "double",
  [SemanticConventions.DOCUMENT_METADATA]: "string",
  [SemanticConventions.SESSION_ID]: "string",
  [SemanticConventions.USER_ID]: "string",
  [SemanticConventions.TOOL_PARAMETERS]: "string",
};

const incubating = otelIncubating as Record<string, unknown>;
const GEN_AI_NAMES = new Set(
  Object.entries(incubating)
    .filter(([name, value]) => name.startsWith("ATTR_GEN_AI_") && typeof value === "string")
    .map(([, value]) => value as string),
);
const valuesOf = (prefix: string) =>
  new Set(Object.entries(incubating).flatMap(([name, value]) => (name.startsWith(prefix) ? [value] : [])));
const GEN_AI_OPERATIONS = valuesOf("GEN_AI_OPERATION_NAME_VALUE_");
const GEN_AI_PROVIDERS = valuesOf("GEN_AI_PROVIDER_NAME_VALUE_");
const GEN_AI_TYPES: Record<string, AttributeType> = {
  "gen_ai.usage.input_tokens": "int",
  "gen_ai.usage.output_tokens": "int",
  "gen_ai.request.temperature": "double",
  "gen_ai.response.finish_reasons": "string[]",
};

function typeMatches(value: unknown, type: AttributeType): boolean {
  switch (type) {
    case "any":
      return true;
    case "int":
      return Number.isInteger(value);
    case "double":
      return typeof value === "number";
    case "string[]":
      return Array.isArray(value) && value.every((item) => typeof item === "string");
    default:
      return typeof value === type;
  }
}

/** Why `key` is not a known attribute with the right type, or undefined when it is. */
function problemWith(key: string, value: unknown): string | undefined {
  if (key.startsWith("gen_ai.")) {
    if (!GEN_AI_NAMES.has(key)) return "not in the OTel GenAI registry";
    const type = GEN_AI_TYPES[key] ?? "string";
    return typeMatches(value, type) ? undefined : `expected ${type}`;
  }
  // `llm.input_messages.0.message.tool_calls.1.tool_call.id`: each part between indexes is an OpenInference name.
  const parts = key.split(/\.\d+\./);
  if (parts.every((part) => OPENINFERENCE_NAMES.has(part))) {
    const type = OPENINFERENCE_TYPES[parts.at(-1) as string] ?? OPENINFERENCE_TYPES[key] ?? "any";
    return typeMatches(value, type) ? undefined : `expected ${type}`;
  }
  const entry = registry.find((attribute) =>
    attribute.dynamic ? key.startsWith(`${attribute.id}.`) : attribute.id === key,
  );
  if (!entry) return "in neither OpenInference, OTel GenAI nor telemetry-schema/registry.yaml";
  return typeMatches(value, entry.type) ? undefined : `expected ${entry.type}`;
}

let spans: SpanRecord[] = [];

beforeAll(async () => {
  const store = await openTraceStore((await replayedStores()).traceStore);
  spans = (await Promise.all((await store.traceIds()).map((traceId) => store.spansOf(traceId)))).flat();
  await store.close();
});

describe("every stored span of a scenario run", () => {
  it("uses only known attribute names, with the types their conventions give", async () => {
    expect(spans.length).toBeGreaterThan(40);
    const problems = spans.flatMap((span) =>
      Object.entries(span.attributes).flatMap(([key, value]) => {
        const problem = problemWith(key, value);
        return problem ? [`${span.service}/${span.name}: ${key}=${JSON.stringify(value)}: ${problem}`] : [];
      }),
    );
    expect([...new Set(problems)]).toEqual([]);
  });

  it("has an OpenInference span kind Phoenix knows, on every assistant span but HTTP client spans", async () => {
    for (const span of spans) {
      if (span.oiKind) expect(OPENINFERENCE_KINDS).toContain(span.oiKind);
      else expect(span.spanKind === "CLIENT" || span.spanKind === "SERVER", `${span.name}`).toBe(true);
    }
  });

  it("writes GenAI attributes beside OpenInference ones on LLM and tool spans", async () => {
    for (const span of spans.filter((candidate) => candidate.oiKind === "LLM")) {
      expect(span.attributes["gen_ai.operation.name"]).toBe("chat");
      expect(GEN_AI_PROVIDERS).toContain(span.attributes["gen_ai.provider.name"]);
      expect(span.attributes["gen_ai.request.model"]).toBe(
        span.attributes[SemanticConventions.LLM_MODEL_NAME],
      );
      expect(span.attributes["gen_ai.usage.input_tokens"]).toBe(
        span.attributes[SemanticConventions.LLM_TOKEN_COUNT_PROMPT],
      );
    }
    for (const span of spans.filter((candidate) => candidate.oiKind === "TOOL")) {
      expect(GEN_AI_OPERATIONS).toContain(span.attributes["gen_ai.operation.name"]);
      expect(span.attributes["gen_ai.tool.name"]).toBe(span.attributes[SemanticConventions.TOOL_NAME]);
      expect(span.attributes["gen_ai.tool.call.id"]).toBe(span.attributes[SemanticConventions.TOOL_ID]);
    }
  });

  it("describes in the registry every attribute src/contracts/semconv.ts names", async () => {
    const described = (name: string) =>
      registry.some(
        (attribute) => attribute.id === name || (attribute.dynamic && name.startsWith(`${attribute.id}.`)),
      );
    const custom = Object.values(ATTR).filter((name) => !name.endsWith("."));
    expect(custom.filter((name) => !described(name))).toEqual([]);
  });
});
