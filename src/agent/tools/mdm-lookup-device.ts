import type { Attributes } from "@opentelemetry/api";
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { ATTR } from "../../contracts/semconv.ts";
import { callHttpTool, type ServiceEndpoint, type ToolDefinition, type ToolResult } from "./http-tool.ts";

/** Device posture older than an hour does not verify anything (device policy v2). */
export const DEVICE_POSTURE_BUDGET_S = 3_600;

const lookupArguments = z.object({ asset_tag: z.string().regex(/^[A-Z]{2,3}-\d{3,6}$/) });

const fact = (name: string) => `${ATTR.toolResultFact}device.${name}`;

export const MDM_LOOKUP_DEVICE: ToolDefinition = {
  name: "mdm_lookup_device",
  description:
    "Look up a device in the MDM inventory snapshot: owner, encryption, lock and wipe state, and as-of time.",
  schema: lookupArguments,
  requiredFields: ["asset", "owner", "encrypted", "locked", "as_of"],
  freshnessBudgetS: DEVICE_POSTURE_BUDGET_S,
  facts(data): Attributes {
    const facts: Attributes = {};
    for (const name of ["encrypted", "locked", "wiped"]) {
      if (typeof data[name] === "boolean") facts[fact(name)] = data[name];
    }
    if (typeof data.asset === "string") facts[fact("asset")] = data.asset;
    return facts;
  },
};

/** Tool `mdm_lookup_device`: the device record by asset tag, as the MDM's inventory snapshot has it. */
export function lookupDevice(assetTag: string, client: ServiceEndpoint): Promise<ToolResult> {
  const asset = assetTag.trim().toUpperCase();
  return callHttpTool(
    MDM_LOOKUP_DEVICE,
    { asset_tag: asset },
    { method: "GET", url: `${client.baseUrl}/v1/devices/${encodeURIComponent(asset)}`, token: client.token },
    client.retry,
  );
}

/** `mdm_lookup_device` as a LangChain tool, for a model to call: same name, description and schema. */
export const mdmLookupDeviceTool = (client: ServiceEndpoint) =>
  tool(async ({ asset_tag }) => JSON.stringify(await lookupDevice(asset_tag, client)), {
    name: MDM_LOOKUP_DEVICE.name,
    description: MDM_LOOKUP_DEVICE.description,
    schema: lookupArguments,
  });
