/** Writes .env.example from the configuration table: `npm run env:example` after adding a setting. */
import { SETTINGS } from "../src/shared/config.ts";
const lines = [
  "# Incident assistant configuration. Every variable is optional; the value shown is the default.",
  "# Copy to .env and export it (e.g. `set -a; . ./.env; set +a`) or set the variables in your shell.",
  "",
];
for (const s of Object.values(SETTINGS)) {
  lines.push(`# ${s.doc}`);
  lines.push(`${s.env}=${s.default}`);
  lines.push("");
}
lines.push("# Standard OpenTelemetry variables also apply, for example:");
lines.push("# OTEL_SERVICE_NAME=incident-assistant");
lines.push(
  "# OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:6006        # Phoenix; or a Collector, Jaeger, Langfuse",
);
lines.push("# OTEL_EXPORTER_OTLP_HEADERS=authorization=Bearer%20<token>");
lines.push("# OTEL_SDK_DISABLED=true                                   # telemetry off");
lines.push("# OTEL_TRACES_SAMPLER=parentbased_traceidratio");
lines.push("# OTEL_TRACES_SAMPLER_ARG=0.5");
lines.push(
  "# OPENINFERENCE_HIDE_INPUTS=true                            # OpenInference masking, see docs/CONFIGURATION.md",
);
process.stdout.write(lines.join("\n") + "\n");
