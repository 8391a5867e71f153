/**
 * Known secret formats, in the spirit of gitleaks' and secretlint's recommended rules but looser on exact
 * lengths, so that a vendor's next key generation or a test value of another length is still caught.
 * Each entry is one alternative of a single case-sensitive regex; a match is replaced whole by
 * `[REDACTED:<kind>]`. Patterns must not contain capturing groups (the combined regex names its own).
 */
interface SecretFormat {
  kind: string;
  source: string;
}

/** A token must not start in the middle of a longer word. */
const START = String.raw`(?<![A-Za-z0-9])`;

export const SECRET_FORMATS: readonly SecretFormat[] = [
  // PEM private key blocks of any type, with real or JSON-escaped (`\n`) newlines. A block cut short
  // (truncated attribute) is redacted up to where its base64 body ends.
  {
    kind: "private_key",
    source: String.raw`-----BEGIN[A-Z0-9 ]{0,30}PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=\s:,.-]|\\[nrt])*?(?:-----END[A-Z0-9 ]{0,30}PRIVATE KEY(?: BLOCK)?-----|(?!(?:[A-Za-z0-9+/=\s:,.-]|\\[nrt])))`,
  },
  // JSON Web Tokens: base64url header starting `{"` (eyJ), payload, optional signature.
  { kind: "jwt", source: String.raw`${START}eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*` },
  { kind: "anthropic_key", source: String.raw`${START}sk-ant-[A-Za-z0-9_-]{20,}` },
  // OpenAI (sk-, sk-proj-, sk-svcacct-, sk-admin-) and OpenAI-compatible vendors using the same prefix.
  { kind: "openai_key", source: String.raw`${START}sk-(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{20,}` },
  {
    kind: "aws_access_key",
    source: String.raw`${START}(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}(?![A-Za-z0-9])`,
  },
  {
    kind: "github_token",
    source: String.raw`${START}(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})`,
  },
  {
    kind: "gitlab_token",
    source: String.raw`${START}gl(?:pat|ptt|dt|rt|cbt|soat|ft|imt|agent)-[A-Za-z0-9_-]{20,}`,
  },
  {
    kind: "slack_webhook",
    source: String.raw`https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/+-]{10,}`,
  },
  {
    kind: "slack_token",
    source: String.raw`${START}(?:xox[abposre]-[A-Za-z0-9-]{10,}|xapp-[0-9]-[A-Za-z0-9-]{10,})`,
  },
  {
    kind: "discord_webhook",
    source: String.raw`https://discord(?:app)?\.com/api/webhooks/[0-9]+/[A-Za-z0-9_-]{20,}`,
  },
  {
    kind: "stripe_key",
    source: String.raw`${START}(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{20,})`,
  },
  { kind: "google_api_key", source: String.raw`${START}AIza[A-Za-z0-9_-]{30,}` },
  {
    kind: "google_oauth",
    source: String.raw`${START}(?:ya29\.[A-Za-z0-9_-]{20,}|GOCSPX-[A-Za-z0-9_-]{20,})`,
  },
  { kind: "npm_token", source: String.raw`${START}npm_[A-Za-z0-9]{30,}` },
  { kind: "pypi_token", source: String.raw`${START}pypi-AgE[A-Za-z0-9_-]{50,}` },
  { kind: "sendgrid_key", source: String.raw`${START}SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}` },
  { kind: "twilio_key", source: String.raw`${START}SK[0-9a-fA-F]{32}(?![0-9a-fA-F])` },
  { kind: "huggingface_token", source: String.raw`${START}hf_[A-Za-z0-9]{30,}` },
  // LLM vendors with their own prefixes: Groq, xAI, Replicate, Perplexity.
  {
    kind: "llm_api_key",
    source: String.raw`${START}(?:gsk_[A-Za-z0-9]{40,}|xai-[A-Za-z0-9]{40,}|r8_[A-Za-z0-9]{30,}|pplx-[A-Za-z0-9]{40,})`,
  },
  { kind: "vault_token", source: String.raw`${START}hv[sbr]\.[A-Za-z0-9_-]{24,}` },
  { kind: "shopify_token", source: String.raw`${START}shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32,}` },
  { kind: "databricks_token", source: String.raw`${START}dapi[a-f0-9]{32}` },
  { kind: "digitalocean_token", source: String.raw`${START}do[opr]_v1_[a-f0-9]{64}` },
  { kind: "docker_token", source: String.raw`${START}dckr_pat_[A-Za-z0-9_-]{20,}` },
  { kind: "figma_token", source: String.raw`${START}figd_[A-Za-z0-9_-]{30,}` },
  {
    kind: "grafana_token",
    source: String.raw`${START}(?:glc_[A-Za-z0-9+/]{32,}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})`,
  },
  { kind: "linear_key", source: String.raw`${START}lin_api_[A-Za-z0-9]{30,}` },
  { kind: "notion_token", source: String.raw`${START}(?:ntn_[A-Za-z0-9]{40,}|secret_[A-Za-z0-9]{43})` },
  { kind: "onepassword_token", source: String.raw`${START}ops_eyJ[A-Za-z0-9+/=]{50,}` },
  { kind: "tailscale_key", source: String.raw`${START}tskey-[a-z]+-[A-Za-z0-9_]{8,}-[A-Za-z0-9_]{16,}` },
  { kind: "vercel_token", source: String.raw`${START}vc[pikar]_[A-Za-z0-9]{20,}` },
  { kind: "cloudflare_token", source: String.raw`${START}(?:cfk|cfut|cfat)_[A-Za-z0-9]{40,}` },
  { kind: "sentry_token", source: String.raw`${START}sntr[ysu]_[A-Za-z0-9+/=_-]{30,}` },
  { kind: "atlassian_token", source: String.raw`${START}ATATT3[A-Za-z0-9_=-]{30,}` },
  { kind: "postman_key", source: String.raw`${START}PMAK-[a-f0-9]{24}-[a-f0-9]{34}` },
  { kind: "newrelic_key", source: String.raw`${START}NRAK-[A-Z0-9]{27}` },
  { kind: "heroku_key", source: String.raw`${START}HRKU-[A-Za-z0-9_-]{20,}` },
  { kind: "mailgun_key", source: String.raw`${START}key-[0-9a-f]{32}(?![0-9a-f])` },
  { kind: "mailchimp_key", source: String.raw`${START}[0-9a-f]{32}-us[0-9]{1,2}(?![0-9])` },
  { kind: "square_token", source: String.raw`${START}sq0(?:atp|csp)-[A-Za-z0-9_-]{22,}` },
  { kind: "telegram_bot_token", source: String.raw`${START}[0-9]{8,10}:AA[A-Za-z0-9_-]{30,}` },
  { kind: "age_secret_key", source: String.raw`AGE-SECRET-KEY-1[0-9A-Z]{58}` },
];
