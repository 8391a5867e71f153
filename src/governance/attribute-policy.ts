import { SemanticConventions as SC } from "@arizeai/openinference-semantic-conventions";
import { ATTR, GEN_AI } from "../contracts/semconv.ts";

/**
 * Which span attributes are safe metadata, kept in every trace: an allow-list, so an attribute
 * nobody thought about (a new instrumentation's payload) lands in the restricted tier, not in the
 * always-kept one. Safe values are still redacted and pseudonymized; everything else is a raw payload.
 */
const SAFE_KEYS = new Set<string>([
  SC.OPENINFERENCE_SPAN_KIND,
  SC.SESSION_ID,
  SC.USER_ID,
  SC.INPUT_MIME_TYPE,
  SC.OUTPUT_MIME_TYPE,
  SC.LLM_MODEL_NAME,
  SC.LLM_PROVIDER,
  SC.LLM_SYSTEM,
  SC.LLM_INVOCATION_PARAMETERS,
  SC.PROMPT_TEMPLATE_TEMPLATE,
  SC.PROMPT_TEMPLATE_VERSION,
  SC.TOOL_NAME,
  SC.TOOL_DESCRIPTION,
  SC.TOOL_PARAMETERS,
  SC.TOOL_ID,
  ...Object.values(ATTR),
  ...Object.values(GEN_AI),
  // OTel HTTP, URL and network conventions, as the instrumentations and mock services write them.
  "http.request.method",
  "http.request.method_original",
  "http.response.status_code",
  "http.route",
  "url.full",
  "url.path",
  "url.query",
  "url.scheme",
  "server.address",
  "server.port",
  "network.peer.address",
  "network.peer.port",
  "network.protocol.version",
  "user_agent.original",
  // The mock services' own span attributes (telemetry-schema/registry.yaml, group mock).
  "mdm.snapshot.as_of",
  "sessions.revoked_count",
  "sessions.active_count",
  "service_account.scopes",
]);

const SAFE_PATTERN =
  /^(?:llm\.token_count\.|llm\.cost\.|tool\.result\.|mock\.fault\.|llm\.tools\.\d+\.tool\.json_schema$|retrieval\.documents\.\d+\.document\.(?:id|score|metadata)$)/;

export const isSafeAttribute = (key: string) => SAFE_KEYS.has(key) || SAFE_PATTERN.test(key);

/** Identifiers of people that become keyed pseudonyms whatever their shape. */
export const PSEUDONYMOUS_KEYS: ReadonlySet<string> = new Set([SC.USER_ID]);
