import type { Attributes } from "@opentelemetry/api";
import { ATTR } from "../../semconv.ts";
import { callHttpTool, type ServiceEndpoint, type ToolDefinition, type ToolResult } from "./http-tool.ts";

export const REVOKE_SESSIONS: ToolDefinition = {
  name: "revoke_sessions",
  description: "Revoke every active session of an employee (needs the sessions:revoke scope).",
  parameters: {
    type: "object",
    properties: { employee_id: { type: "string", pattern: "^E-\\d{4,6}$" }, reason: { type: "string" } },
    required: ["employee_id"],
  },
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
