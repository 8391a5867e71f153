/**
 * The JSON Schema of scenario files, from the zod schema the replay runner validates with:
 *   npm run scenario:schema    (writes scenarios/scenario.schema.json; a test keeps it in step)
 * The built-in scenarios point editors at it with a `yaml-language-server` comment.
 */
import { scenarioJsonSchema } from "../src/scenarios/scenario.ts";

process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
