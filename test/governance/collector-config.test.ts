import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CANARIES } from "../helpers/canaries.ts";
import { isSafeAttribute } from "../../src/governance/attribute-policy.ts";
import { loadConfig } from "../../src/shared/config.ts";

interface CollectorConfig {
  processors: {
    "redaction/secrets": { blocked_values: string[] };
    "attributes/raw-payloads": { actions: { key?: string; pattern?: string; action: string }[] };
    tail_sampling: { policies: { name: string; type: string }[] };
  };
  service: { pipelines: Record<string, { processors: string[] }> };
}

const collector = parse(
  readFileSync(new URL("../../deploy/otel-collector.yaml", import.meta.url), "utf8"),
) as CollectorConfig;

/** Go's RE2 takes `(?i)` inline; JavaScript takes it as a flag. */
const asJs = (source: string) =>
  source.startsWith("(?i)") ? new RegExp(source.slice(4), "gi") : new RegExp(source, "g");

describe("the Collector configuration in deploy/", () => {
  it("masks every secret of the canary corpus, as the replicas' redaction does", () => {
    const patterns = collector.processors["redaction/secrets"].blocked_values.map(asJs);
    for (const canary of CANARIES.filter((candidate) => candidate.kind === "secret")) {
      const masked = patterns.reduce((text, pattern) => text.replace(pattern, "****"), canary.value);
      expect(masked, canary.label).not.toContain(canary.needle);
    }
  });

  it("deletes no safe metadata on the way to a backend, only raw payloads", () => {
    const actions = collector.processors["attributes/raw-payloads"].actions;
    expect(actions.every((action) => action.action === "delete")).toBe(true);
    for (const key of [
      "input.value",
      "output.value",
      "llm.input_messages.0.message.content",
      "feedback.comment",
    ]) {
      expect(isSafeAttribute(key), key).toBe(false);
      const deleted = actions.some((action) =>
        action.key ? action.key === key : new RegExp(action.pattern ?? "^$").test(key),
      );
      expect(deleted, key).toBe(true);
    }
    for (const action of actions) if (action.key) expect(isSafeAttribute(action.key), action.key).toBe(false);
  });

  it("samples like the replicas' defaults, and leaves sampling to the replicas on their pipeline", () => {
    const policies = collector.processors.tail_sampling.policies.map((policy) => policy.name);
    expect(policies).toEqual(["errors", "tool-failures", "escalated", "healthy-sample"]);
    const defaults = loadConfig({});
    expect(defaults.sampleHealthyRate).toBe(0.1);
    expect(defaults.sampleMaxHealthyPerMinute).toBe(30);
    expect(collector.service.pipelines["traces/replicas"]?.processors).not.toContain("tail_sampling");
    expect(collector.service.pipelines["traces/backend"]?.processors).toContain("tail_sampling");
  });
});
