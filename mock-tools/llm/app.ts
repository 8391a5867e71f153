import type { Express, Response } from "express";
import { setTimeout as sleep } from "node:timers/promises";
import { createServiceApp } from "../shared/service.ts";
import { openAiErrors, requireBearerToken, sendOpenAiError, unknownRoute } from "./errors.ts";
import { idsFor } from "./ids.ts";
import { isModelId, modelList } from "./models.ts";
import { chatRequestSchema } from "./request.ts";
import { toChunks, toCompletion, type Reply } from "./completion.ts";
import { simulate } from "./sim-model.ts";
import { usageOf } from "./tokens.ts";

export interface LlmAppOptions {
  /** Delay before each answer, to make the model's span visible in a trace. */
  latencyMs?: number;
}

function streamReply(res: Response, reply: Reply, includeUsage: boolean) {
  res.status(200).set({
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  for (const chunk of toChunks(reply, includeUsage)) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  res.end("data: [DONE]\n\n");
}

/** An OpenAI-compatible Chat Completions server backed by the deterministic simulated models. */
export function createLlmApp({ latencyMs = 0 }: LlmAppOptions = {}): Express {
  const app = createServiceApp("llm");

  app.get("/v1/models", (_req, res) => {
    res.json(modelList());
  });

  app.post("/v1/chat/completions", requireBearerToken, async (req, res) => {
    const parsed = chatRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = issue?.path.join(".") || null;
      const message = issue?.message ?? "Invalid request body.";
      return sendOpenAiError(res, 400, param ? `${param}: ${message}` : message, { param });
    }
    const request = parsed.data;
    if (!isModelId(request.model)) {
      return sendOpenAiError(res, 404, `The model \`${request.model}\` does not exist.`, {
        param: "model",
        code: "model_not_found",
      });
    }

    const output = simulate(request);
    const reply: Reply = {
      ...idsFor(req.body),
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      output,
      usage: await usageOf(request, output.kind === "tool_call" ? output.arguments : output.content),
    };
    if (latencyMs > 0) await sleep(latencyMs);
    if (request.stream) return streamReply(res, reply, request.stream_options?.include_usage === true);
    res.json(toCompletion(reply));
  });

  app.use(unknownRoute);
  app.use(openAiErrors);
  return app;
}
