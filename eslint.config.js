import js from "@eslint/js";
import tseslint from "typescript-eslint";

const sdkImportRule = [
  "error",
  {
    patterns: [
      {
        group: [
          "@opentelemetry/sdk-*",
          "@opentelemetry/exporter-*",
          "@opentelemetry/instrumentation*",
          "@arizeai/openinference-instrumentation-*",
        ],
        message:
          "Telemetry setup lives in src/telemetry/; app code uses @opentelemetry/api, @arizeai/openinference-core and LangChain.",
      },
    ],
  },
];

export default tseslint.config(
  { ignores: ["node_modules/", ".data/", "dist/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "no-restricted-imports": sdkImportRule,
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  { files: ["src/telemetry/**", "test/**", "scripts/**"], rules: { "no-restricted-imports": "off" } },
);
