import { dirname, join } from "node:path";
import type { Config } from "../shared/config.ts";
import { isSafeAttribute, PSEUDONYMOUS_KEYS } from "./attribute-policy.ts";
import { loadOrCreateKey, type KeyOptions } from "./key.ts";
import { isPostgresUrl } from "../shared/postgres.ts";
import { PayloadTiers } from "./payload-tiers.ts";
import { createPseudonymizer, type Pseudonymizer } from "./pseudonymize.ts";
import { openRestrictedStore, type RestrictedStore, type SpanPayload } from "./restricted-store.ts";
import { TailSampler } from "./sampling.ts";
import { createSecretRedactor, type SecretRedactor } from "./secrets.ts";

type Attributes = Record<string, unknown>;

/** A span as governance sees it: what may hold data, nothing else. */
export interface SpanData {
  traceId: string;
  spanId: string;
  name: string;
  attributes: Attributes;
  events: readonly { name: string; attributes?: Attributes | undefined }[];
}

export interface GovernedSpan {
  name: string;
  /** Safe metadata, redacted and pseudonymized: what every trace keeps. */
  attributes: Attributes;
  events: { name: string; attributes: Attributes }[];
}

const GRACE_MAX_TRACES = 2_000;
/** Bounds on the cache of scanned safe texts; prompt templates and tool schemas run to a few kilobytes. */
const SAFE_TEXT_CACHE = { maxEntries: 4_096, maxChars: 4_000_000, maxTextLength: 16_384 };
const GRACE_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Governance as one object per process: secrets never leave it, personal data leaves it only as
 * keyed pseudonyms, and raw payloads go to the restricted tier by tail-sampling decision.
 */
export class Governance {
  readonly redactor: SecretRedactor;
  private readonly pseudonymizer: Pseudonymizer;
  private restrictedStore: RestrictedStore | undefined;
  private payloadTiers: PayloadTiers | undefined;
  private readonly safeTexts = new Map<string, string>();
  private safeTextChars = 0;

  constructor(
    private readonly config: Config,
    readonly enabled = config.governance === "on",
  ) {
    this.redactor = createSecretRedactor({ knownSecrets: knownSecrets(config) });
    this.pseudonymizer = createPseudonymizer(
      loadOrCreateKey(
        keySource(config, config.pseudonymizationKey, "PSEUDONYMIZATION_KEY", "pseudonymization.key"),
      ),
    );
  }

  /** The restricted tier, opened on first use: only the assistant process ever needs it. */
  get tiers(): PayloadTiers {
    this.payloadTiers ??= new PayloadTiers(
      this.restricted,
      new TailSampler({
        healthyRate: this.config.sampleHealthyRate,
        maxHealthyPerMinute: this.config.sampleMaxHealthyPerMinute,
      }),
      { graceMs: this.config.restrictedGrace, maxTraces: GRACE_MAX_TRACES, maxBytes: GRACE_MAX_BYTES },
      (payload) => ({ ...payload, attributes: this.withoutSecrets(payload.attributes) }),
    );
    return this.payloadTiers;
  }

  get restricted(): RestrictedStore {
    this.restrictedStore ??= openRestrictedStore(
      this.config.restrictedStore,
      loadOrCreateKey(
        keySource(this.config, this.config.restrictedStoreKey, "RESTRICTED_STORE_KEY", "restricted.key"),
      ).subarray(0, 32),
    );
    return this.restrictedStore;
  }

  /** Text fit for the always-kept tier and the logs: no secrets, no personal data in clear. */
  safeText(text: string): string {
    if (!this.enabled) return text;
    let safe = this.safeTexts.get(text);
    if (safe === undefined) {
      safe = this.pseudonymizer.scrub(this.redactor.redact(text));
      // Span names and metadata values repeat from request to request; the scan need not.
      if (
        this.safeTexts.size >= SAFE_TEXT_CACHE.maxEntries ||
        this.safeTextChars + text.length > SAFE_TEXT_CACHE.maxChars
      ) {
        this.safeTexts.clear();
        this.safeTextChars = 0;
      }
      if (text.length <= SAFE_TEXT_CACHE.maxTextLength) {
        this.safeTexts.set(text, safe);
        this.safeTextChars += text.length + safe.length;
      }
    }
    return safe;
  }

  /** Text fit for an analyst or the restricted tier: personal data stays, secrets do not. */
  withoutSecrets<T>(value: T): T {
    return this.enabled ? (this.redactor.redactDeep(value) as T) : value;
  }

  private safeValue(key: string, value: unknown): unknown {
    if (typeof value === "string") {
      return PSEUDONYMOUS_KEYS.has(key) ? this.pseudonymizer.token("name", value) : this.safeText(value);
    }
    // OTLP arrays and key-value lists nest: a secret can hide at any depth.
    if (Array.isArray(value))
      return value.map((item) =>
        typeof item === "string" ? this.safeText(item) : this.safeValue(key, item),
      );
    if (value !== null && typeof value === "object" && !(value instanceof Uint8Array)) {
      return Object.fromEntries(
        Object.entries(value).map(([name, item]) => [this.safeText(name), this.safeValue(name, item)]),
      );
    }
    return value;
  }

  /** Attributes that are all metadata (events, links, resources): each value made safe, none moved out. */
  safeMetadata(attributes: Attributes): Attributes {
    if (!this.enabled) return attributes;
    const safe: Attributes = {};
    for (const [key, value] of Object.entries(attributes))
      safe[this.safeText(key)] = this.safeValue(key, value);
    return safe;
  }

  /**
   * Splits a finished span: safe metadata to keep in every trace, and its raw payload handed to
   * the restricted tier's grace buffer. Event and link values are treated as safe text.
   */
  govern(span: SpanData): GovernedSpan {
    if (!this.enabled) {
      return { name: span.name, attributes: span.attributes, events: span.events.map(withAttributes) };
    }
    const kept: Attributes = {};
    const raw: Attributes = {};
    for (const [key, value] of Object.entries(span.attributes)) {
      if (isSafeAttribute(key)) kept[key] = this.safeValue(key, value);
      else raw[key] = value;
    }
    if (Object.keys(raw).length > 0) {
      const payload: SpanPayload = { spanId: span.spanId, spanName: span.name, attributes: raw };
      this.tiers.hold(span.traceId, payload);
    }
    return {
      name: this.safeText(span.name),
      attributes: kept,
      events: span.events.map((event) => ({
        name: this.safeText(event.name),
        attributes: this.safeMetadata(event.attributes ?? {}),
      })),
    };
  }
}

const withAttributes = (event: SpanData["events"][number]) => ({
  name: event.name,
  attributes: event.attributes ?? {},
});

/**
 * A key from configuration, else a per-installation key file beside the SQLite trace store. Replicas
 * on a PostgreSQL store share no directory: they must be given the same key.
 */
function keySource(config: Config, configured: string, variable: string, file: string): KeyOptions {
  if (configured.trim() || !isPostgresUrl(config.traceStore))
    return { configured, path: join(dirname(config.traceStore), file) };
  throw new Error(
    `${variable} must be set when TRACE_STORE is a PostgreSQL URL: every replica needs the same key ` +
      "(generate one with `openssl rand -hex 32`)",
  );
}

/** The credentials in this process's configuration: redacted wherever they turn up. */
function knownSecrets(config: Config): string[] {
  return [
    config.openaiApiKey,
    config.mdmApiToken,
    config.sessionsApiToken,
    config.pseudonymizationKey,
    config.restrictedStoreKey,
    ...config.apiTokens.keys(),
    ...[config.traceStore, config.restrictedStore].map(storePassword),
  ].filter(Boolean);
}

/** The password in a PostgreSQL store's URL; empty for a SQLite path. */
function storePassword(location: string): string {
  if (!isPostgresUrl(location)) return "";
  try {
    return decodeURIComponent(new URL(location).password);
  } catch {
    return "";
  }
}

const instances = new Map<string, Governance>();

/** One Governance per trace store and mode in a process, shared by telemetry and the app. */
export function governanceFor(config: Config): Governance {
  const key = `${config.traceStore}|${config.restrictedStore}|${config.governance}`;
  let instance = instances.get(key);
  if (!instance) instances.set(key, (instance = new Governance(config)));
  return instance;
}
