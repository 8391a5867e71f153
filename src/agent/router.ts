import { z } from "zod";
import type { AIMessageChunk } from "@langchain/core/messages";
import {
  OpenInferenceSpanKind,
  SemanticConventions as SC,
} from "@arizeai/openinference-semantic-conventions";
import type { Config } from "../shared/config.ts";
import { inSpan } from "../instrumentation/tracing.ts";
import { ATTR } from "../contracts/semconv.ts";
import type { ChatModels } from "./chat-model.ts";
import { ROUTER_PROMPT } from "./prompts/router.ts";

export const CATEGORIES = ["lost_or_stolen_device", "account_compromise", "phishing", "other"] as const;
export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export const ACTIONS = ["lookup_device", "revoke_sessions"] as const;

const classificationSchema = z.object({
  category: z.enum(CATEGORIES),
  severity: z.enum(SEVERITIES),
  employee_ids: z.array(z.string()).default([]),
  asset_tags: z.array(z.string()).default([]),
  owner_name: z.string().nullable().default(null),
  requested_actions: z.array(z.enum(ACTIONS)).default([]),
});
export type Classification = z.infer<typeof classificationSchema>;

export type RouteName = "strong" | "fast";
export interface RouteDecision {
  classification: Classification;
  route: RouteName;
  model: string;
  reason: string;
  costUsd: number;
}

export class ModelOutputError extends Error {
  override name = "ModelOutputError";
}

/**
 * The router's structured output: LangChain binds the schema as a tool the model must call. Converted
 * to JSON schema once, not at every call.
 */
const CLASSIFY_TOOL = {
  type: "function" as const,
  function: {
    name: "classify_incident",
    description: "Record the incident's category, severity, entities and the actions it calls for.",
    parameters: z.toJSONSchema(classificationSchema, { io: "input" }),
  },
};

/** The routing policy, in code: which route a severity gets under each policy, and why. */
export function chooseRoute(
  severity: Classification["severity"],
  policy: Config["routingPolicy"],
): { route: RouteName; reason: string } {
  switch (policy) {
    case "quality-first":
      return { route: "strong", reason: "quality-first sends every request to the strong route" };
    case "fast-only":
      return { route: "fast", reason: "fast-only sends every request to the fast route" };
    case "cost-saver":
      return severity === "high" || severity === "critical"
        ? { route: "strong", reason: `cost-saver keeps ${severity} severity on the strong route` }
        : { route: "fast", reason: `cost-saver sends ${severity} severity to the fast route` };
  }
}

/** Stage 1: classify the incident (an LLM call), then pick a route by policy. */
export function route(question: string, models: ChatModels, config: Config): Promise<RouteDecision> {
  return inSpan(
    "route",
    {
      kind: OpenInferenceSpanKind.CHAIN,
      stage: "route",
      attributes: { [SC.INPUT_VALUE]: question, [ATTR.routePolicy]: config.routingPolicy },
    },
    async (span) => {
      const classifier = models.runnable(config.routerModel, CLASSIFY_TOOL.function.name, (model) =>
        model.bindTools([CLASSIFY_TOOL], { tool_choice: CLASSIFY_TOOL.function.name }),
      );
      const { message, costUsd } = await models.invoke(
        ROUTER_PROMPT,
        { question },
        classifier,
        config.routerModel,
      );
      const classification = classificationOf(message);
      const { route, reason } = chooseRoute(classification.severity, config.routingPolicy);
      const model = route === "strong" ? config.strongModel : config.fastModel;
      span.setAttributes({
        [ATTR.category]: classification.category,
        [ATTR.severity]: classification.severity,
        [ATTR.routeName]: route,
        [ATTR.routeModel]: model,
        [ATTR.routeReason]: reason,
        [SC.OUTPUT_VALUE]: JSON.stringify({
          category: classification.category,
          severity: classification.severity,
          route,
          model,
        }),
      });
      return { classification, route, model, reason, costUsd };
    },
  );
}

/** The classify_incident call's arguments, which LangChain has parsed from JSON, checked against the schema. */
function classificationOf(message: AIMessageChunk): Classification {
  const call = message.tool_calls?.find((candidate) => candidate.name === CLASSIFY_TOOL.function.name);
  if (!call) {
    const invalid = message.invalid_tool_calls?.[0];
    throw new ModelOutputError(
      invalid
        ? `classify_incident arguments are not JSON: ${invalid.error ?? "unparseable"}`
        : "the router model did not call classify_incident",
    );
  }
  const parsed = classificationSchema.safeParse(call.args);
  if (!parsed.success)
    throw new ModelOutputError(`classify_incident arguments: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
