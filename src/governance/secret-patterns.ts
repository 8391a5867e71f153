/**
 * Known secret formats, in the spirit of gitleaks' and secretlint's recommended rules but looser on exact
 * lengths, so that a vendor's next key generation or a test value of another length is still caught.
 * A match is replaced whole by `[REDACTED:<kind>]`. Sources must not contain capturing groups.
 */
export interface SecretFormat {
  kind: string;
  source: string;
}

/**
 * Formats that fit in one token of `[A-Za-z0-9+/=_.-]`. They are tried only where a token or a
 * sub-token starts (after a character that is not a letter or digit), so `task-2024-…` is no `sk-` key.
 */
export const TOKEN_FORMATS: readonly SecretFormat[] = [
  // JSON Web Tokens: base64url header starting `{"` (eyJ), payload, optional signature.
  { kind: "jwt", source: String.raw`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*` },
  { kind: "anthropic_key", source: String.raw`sk-ant-[A-Za-z0-9_-]{20,}` },
  // OpenAI (sk-, sk-proj-, sk-svcacct-, sk-admin-) and OpenAI-compatible vendors using the same prefix.
  { kind: "openai_key", source: String.raw`sk-(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{20,}` },
  {
    kind: "aws_access_key",
    source: String.raw`(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}(?![A-Za-z0-9])`,
  },
  {
    kind: "github_token",
    source: String.raw`(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})`,
  },
  {
    kind: "gitlab_token",
    source: String.raw`gl(?:pat|ptt|dt|rt|cbt|soat|ft|imt|agent)-[A-Za-z0-9_-]{20,}`,
  },
  {
    kind: "slack_token",
    source: String.raw`(?:xox[abposre]-[A-Za-z0-9-]{10,}|xapp-[0-9]-[A-Za-z0-9-]{10,})`,
  },
  {
    kind: "stripe_key",
    source: String.raw`(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{20,})`,
  },
  { kind: "google_api_key", source: String.raw`AIza[A-Za-z0-9_-]{30,}` },
  {
    kind: "google_oauth",
    source: String.raw`(?:ya29\.[A-Za-z0-9_-]{20,}|GOCSPX-[A-Za-z0-9_-]{20,})`,
  },
  { kind: "npm_token", source: String.raw`npm_[A-Za-z0-9]{30,}` },
  { kind: "pypi_token", source: String.raw`pypi-AgE[A-Za-z0-9_-]{50,}` },
  { kind: "sendgrid_key", source: String.raw`SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}` },
  { kind: "twilio_key", source: String.raw`SK[0-9a-fA-F]{32}(?![0-9a-fA-F])` },
  { kind: "huggingface_token", source: String.raw`hf_[A-Za-z0-9]{30,}` },
  // LLM vendors with their own prefixes: Groq, xAI, Replicate, Perplexity.
  {
    kind: "llm_api_key",
    source: String.raw`(?:gsk_[A-Za-z0-9]{40,}|xai-[A-Za-z0-9]{40,}|r8_[A-Za-z0-9]{30,}|pplx-[A-Za-z0-9]{40,})`,
  },
  { kind: "vault_token", source: String.raw`hv[sbr]\.[A-Za-z0-9_-]{24,}` },
  { kind: "shopify_token", source: String.raw`shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32,}` },
  { kind: "databricks_token", source: String.raw`dapi[a-f0-9]{32}` },
  { kind: "digitalocean_token", source: String.raw`do[opr]_v1_[a-f0-9]{64}` },
  { kind: "docker_token", source: String.raw`dckr_pat_[A-Za-z0-9_-]{20,}` },
  { kind: "figma_token", source: String.raw`figd_[A-Za-z0-9_-]{30,}` },
  {
    kind: "grafana_token",
    source: String.raw`(?:glc_[A-Za-z0-9+/]{32,}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})`,
  },
  { kind: "linear_key", source: String.raw`lin_api_[A-Za-z0-9]{30,}` },
  { kind: "notion_token", source: String.raw`(?:ntn_[A-Za-z0-9]{40,}|secret_[A-Za-z0-9]{43})` },
  { kind: "onepassword_token", source: String.raw`ops_eyJ[A-Za-z0-9+/=]{50,}` },
  { kind: "tailscale_key", source: String.raw`tskey-[a-z]+-[A-Za-z0-9_]{8,}-[A-Za-z0-9_]{16,}` },
  { kind: "vercel_token", source: String.raw`vc[pikar]_[A-Za-z0-9]{20,}` },
  { kind: "cloudflare_token", source: String.raw`(?:cfk|cfut|cfat)_[A-Za-z0-9]{40,}` },
  { kind: "sentry_token", source: String.raw`sntr[ysu]_[A-Za-z0-9+/=_-]{30,}` },
  { kind: "atlassian_token", source: String.raw`ATATT3[A-Za-z0-9_=-]{30,}` },
  { kind: "postman_key", source: String.raw`PMAK-[a-f0-9]{24}-[a-f0-9]{34}` },
  { kind: "newrelic_key", source: String.raw`NRAK-[A-Z0-9]{27}` },
  { kind: "heroku_key", source: String.raw`HRKU-[A-Za-z0-9_-]{20,}` },
  { kind: "mailgun_key", source: String.raw`key-[0-9a-f]{32}(?![0-9a-f])` },
  { kind: "square_token", source: String.raw`sq0(?:atp|csp)-[A-Za-z0-9_-]{22,}` },
  { kind: "age_secret_key", source: String.raw`AGE-SECRET-KEY-1[0-9A-Z]{58}` },
];

/** Formats that span several tokens; each runs only when the text contains its `anchor`. */
export const TEXT_FORMATS: readonly (SecretFormat & { anchor: string })[] = [
  // PEM private key blocks of any type, with real or JSON-escaped (`\n`) newlines. A block cut short
  // (truncated attribute) is redacted up to where its base64 body ends.
  {
    kind: "private_key",
    anchor: "PRIVATE KEY",
    source: String.raw`-----BEGIN[A-Z0-9 ]{0,30}PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=\s:,.-]|\\[nrt])*?(?:-----END[A-Z0-9 ]{0,30}PRIVATE KEY(?: BLOCK)?-----|(?!(?:[A-Za-z0-9+/=\s:,.-]|\\[nrt])))`,
  },
  {
    kind: "slack_webhook",
    anchor: "hooks.slack.com",
    source: String.raw`https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/+-]{10,}`,
  },
  {
    kind: "discord_webhook",
    anchor: "/api/webhooks/",
    source: String.raw`https://discord(?:app)?\.com/api/webhooks/[0-9]+/[A-Za-z0-9_-]{20,}`,
  },
  {
    kind: "mailchimp_key",
    anchor: "-us",
    source: String.raw`(?<![A-Za-z0-9])[0-9a-f]{32}-us[0-9]{1,2}(?![0-9])`,
  },
  {
    kind: "telegram_bot_token",
    anchor: ":AA",
    source: String.raw`(?<![A-Za-z0-9])[0-9]{8,10}:AA[A-Za-z0-9_-]{30,}`,
  },
];
