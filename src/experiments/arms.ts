import { ROUTING_POLICIES, SYNTHESIZER_PROMPTS, type Config } from "../shared/config.ts";

/** An arm: a routing policy and a synthesizer prompt version, `cost-saver/v2`. */
export interface Arm {
  name: string;
  routingPolicy: Config["routingPolicy"];
  synthesizerPrompt: Config["synthesizerPrompt"];
}

/** A bad `--arms` value: bad input. */
export class ArmError extends Error {
  override name = "ArmError";
}

/** Parses `quality-first/v2,cost-saver/v2`; throws an ArmError naming what is wrong. */
export function parseArms(text: string): Arm[] {
  const arms = text.split(",").map((name) => {
    const [policy, prompt, extra] = name.trim().split("/");
    if (!(ROUTING_POLICIES as readonly string[]).includes(policy ?? "") || extra !== undefined)
      throw new ArmError(
        `arm ${JSON.stringify(name)}: expected <policy>/<prompt>, policy one of ${ROUTING_POLICIES.join(", ")}`,
      );
    if (!(SYNTHESIZER_PROMPTS as readonly string[]).includes(prompt ?? ""))
      throw new ArmError(
        `arm ${JSON.stringify(name)}: expected a prompt version, one of ${SYNTHESIZER_PROMPTS.join(", ")}`,
      );
    return {
      name: `${policy}/${prompt}`,
      routingPolicy: policy as Arm["routingPolicy"],
      synthesizerPrompt: prompt as Arm["synthesizerPrompt"],
    };
  });
  if (arms.length < 2) throw new ArmError("expected at least two arms, the first being the baseline");
  const names = arms.map((arm) => arm.name);
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated) throw new ArmError(`arm ${repeated} is named twice`);
  return arms;
}
