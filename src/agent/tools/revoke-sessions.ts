import type { Attributes } from "@opentelemetry/api";
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { ATTR } from "../../contracts/semconv.ts";
import { callHttpTool, type ServiceEndpoint, type ToolDefinition, type ToolResult } from "./http-tool.ts";

const revokeArguments = z.object({
  employee_id: z.string().regex(/^E-\d{4,6}$/),
  reason: z.string().optional(),
});

export const REVOKE_SESSIONS: ToolDefinition = {
  name: "revoke_sessions",
  description: "Revoke every active session of an employee (needs the sessions:revoke scope).",
  schema: revokeArguments,
  requiredFields: ["employee_id", "revoked_count"],
  facts(data): Attributes {
    return typeof data.revoked_count === "number"
      ? { [`${ATTR.toolResultFact}sessions.revoked_count`]: data.revoked_count }
      : {};
  },
};

/** Tool `revoke_sessions`: signs the employee out everywhere. */
export function revokeSessions(
  employeeId: string,
  reason: string,
  client: ServiceEndpoint,
): Promise<ToolResult> {
  const employee = employeeId.trim().toUpperCase();
  return callHttpTool(
    REVOKE_SESSIONS,
    { employee_id: employee, reason },
    {
      method: "POST",
      url: `${client.baseUrl}/v1/employees/${encodeURIComponent(employee)}/sessions/revoke`,
      token: client.token,
      body: { reason },
    },
    client.retry,
  );
}

/** `revoke_sessions` as a LangChain tool, for a model to call: same name, description and schema. */
export const revokeSessionsTool = (client: ServiceEndpoint) =>
  tool(
    async ({ employee_id, reason }) =>
      JSON.stringify(await revokeSessions(employee_id, reason ?? "requested by the model", client)),
    { name: REVOKE_SESSIONS.name, description: REVOKE_SESSIONS.description, schema: revokeArguments },
  );
