import { z } from "zod";
import {
  OpenInferenceSpanKind,
  SemanticConventions as SC,
} from "@arizeai/openinference-semantic-conventions";
import type { Config } from "../config.ts";
import { inSpan } from "../tracing.ts";
import { ATTR } from "../semconv.ts";
import type { LlmClient } from "./llm.ts";
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

const CLASSIFY_TOOL = {
  type: "function" as const,
  function: {
    name: "classify_incident",
    description: "Record the incident's category, severity, entities and the actions it calls for.",
    parameters: z.toJSONSchema(classificationSchema, { io: "input" }) as Record<string, unknown>,
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
export function route(question: string, llm: LlmClient, config: Config): Promise<RouteDecision> {
  return inSpan(
    "route",
    {
      kind: OpenInferenceSpanKind.CHAIN,
      stage: "route",
      attributes: { [SC.INPUT_VALUE]: question, [ATTR.routePolicy]: config.routingPolicy },
    },
    async (span) => {
      const { completion, costUsd } = await llm.chat({
        model: config.routerModel,
        messages: [
          { role: "system", content: ROUTER_PROMPT.template },
          { role: "user", content: question },
        ],
        promptTemplate: { ...ROUTER_PROMPT, variables: { question } },
        tools: [CLASSIFY_TOOL],
        toolChoice: { type: "function", function: { name: CLASSIFY_TOOL.function.name } },
      });
      const classification = parseClassification(completion.choices[0]?.message.tool_calls?.[0]);
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

function parseClassification(toolCall: { type: string; function?: { arguments: string } } | undefined) {
  if (toolCall?.type !== "function" || !toolCall.function) {
    throw new ModelOutputError("the router model did not call classify_incident");
  }
  let args: unknown;
  try {
    args = JSON.parse(toolCall.function.arguments);
  } catch {
    throw new ModelOutputError("classify_incident arguments are not JSON");
  }
  const parsed = classificationSchema.safeParse(args);
  if (!parsed.success)
    throw new ModelOutputError(`classify_incident arguments: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
