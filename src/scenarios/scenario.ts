import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { z } from "zod";
import { requiredFieldError, worldSchema } from "../contracts/world.ts";
import { durationSchema } from "../contracts/duration.ts";
import { PROJECT_ROOT } from "../shared/module-form.ts";
import { analystSchema, questionSchema } from "../contracts/question.ts";
import { ROUTING_POLICIES, SYNTHESIZER_PROMPTS } from "../shared/config.ts";
import { FEEDBACK_OUTCOMES } from "../contracts/vocabulary.ts";
import { STAGE_OF, STAGES as DIAGNOSIS_STAGES, type FindingKind } from "../diagnosis/index.ts";
import type { Stage } from "../contracts/semconv.ts";

export const SCENARIOS_DIR = join(PROJECT_ROOT, "scenarios");

// The diagnosis owns the vocabulary; the scenario schema only checks expectations against it.
const FINDING_KINDS = Object.keys(STAGE_OF) as [FindingKind, ...FindingKind[]];
const STAGES = DIAGNOSIS_STAGES as [Stage, ...Stage[]];

/** The scenario file contract (SPEC section 4). Unknown keys are errors: a typo must not pass silently. */
export const scenarioSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, { error: "expected a kebab-case id such as revoke-403" }),
  title: z.string().min(1),
  /** What the scenario teaches, in a few sentences. */
  description: z.string().optional(),
  request: z.strictObject({
    question: questionSchema,
    analyst: analystSchema.optional(),
  }),
  config: z
    .strictObject({
      routing_policy: z.enum(ROUTING_POLICIES).optional(),
      synthesizer_prompt: z.enum(SYNTHESIZER_PROMPTS).optional(),
    })
    .prefault({}),
  world: worldSchema.prefault({}),
  feedback: z
    .strictObject({
      outcome: z.enum(FEEDBACK_OUTCOMES),
      after: durationSchema.default(0),
      comment: z.string().optional(),
    })
    .optional(),
  expect: z
    .strictObject({
      verdict: z.enum(["supported", "unsupported"]).optional(),
      first_bad_stage: z.enum([...STAGES, "none"]).optional(),
      findings: z
        .array(
          z.strictObject({
            kind: z.enum(FINDING_KINDS),
            stage: z.enum(STAGES).optional(),
            tool: z.string().optional(),
            claim: z.string().optional(),
          }),
        )
        .default([]),
      exact: z.boolean().default(false),
    })
    .optional(),
});

/** The scenario file as a JSON Schema, for editors: what an author may write (defaults as defaults). */
export function scenarioJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(scenarioSchema, { io: "input", unrepresentable: "any" }),
    title: "Incident assistant scenario",
    description:
      "A replayable incident: the question, the world the mock services serve, and what the diagnosis should find (SPEC section 4).",
  };
}

export type Scenario = z.infer<typeof scenarioSchema> & {
  /** The world sections as written in the file, which the mock services' admin endpoints parse themselves. */
  rawWorld: Record<string, unknown>;
  file: string;
};

/**
 * A scenario file that cannot be used: names the file, then each bad field path and what was
 * expected there, one per line (`field` and `expected` are the first).
 */
export class ScenarioError extends Error {
  override name = "ScenarioError";
  constructor(
    readonly file: string,
    readonly field: string,
    readonly expected: string,
    more: readonly { field: string; expected: string }[] = [],
  ) {
    super(
      [{ field, expected }, ...more]
        .map((problem) => `${file}: ${problem.field}: ${problem.expected}`)
        .join("\n"),
    );
  }
}

/** Resolves a built-in id (`elena`) or a path to a YAML file. */
export function scenarioFile(idOrPath: string): string {
  if (existsSync(idOrPath)) return resolve(idOrPath);
  const builtIn = join(SCENARIOS_DIR, `${idOrPath}.yaml`);
  if (existsSync(builtIn)) return builtIn;
  const known = builtInScenarioFiles().map((path) => basename(path, ".yaml"));
  throw new ScenarioError(
    idOrPath,
    "(file)",
    `no such file, and no built-in scenario with that id (built-in: ${known.join(", ")})`,
  );
}

export function builtInScenarioFiles(): string[] {
  return readdirSync(SCENARIOS_DIR)
    .filter((file) => file.endsWith(".yaml"))
    .sort()
    .map((file) => join(SCENARIOS_DIR, file));
}

export function loadScenario(idOrPath: string): Scenario {
  const file = scenarioFile(idOrPath);
  const { data, raw } = parseYamlFile(file, scenarioSchema);
  const rawWorld = (raw as { world?: Record<string, unknown> }).world ?? {};
  return { ...data, rawWorld, file };
}

/**
 * Reads a YAML file and validates it with `schema`. A file that cannot be used throws a
 * ScenarioError naming the file, then every bad field at once: fixing a file one error per run is slow.
 */
export function parseYamlFile<T extends z.ZodType>(
  file: string,
  schema: T,
): { data: z.output<T>; raw: unknown } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ScenarioError(file, "(file)", error instanceof Error ? error.message : String(error));
  }
  const document = parseDocument(text);
  const yamlError = document.errors[0];
  if (yamlError) throw new ScenarioError(file, "(yaml)", yamlError.message);
  const raw: unknown = document.toJS();
  const parsed = schema.safeParse(raw, { error: requiredFieldError });
  if (!parsed.success) {
    const [first, ...more] = parsed.error.issues.map((issue) => ({
      field: issue.path.join(".") || "(root)",
      expected: issue.message,
    }));
    throw new ScenarioError(file, first?.field ?? "(root)", first?.expected ?? "invalid", more);
  }
  return { data: parsed.data, raw };
}
