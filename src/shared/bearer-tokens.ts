import { createHash, timingSafeEqual } from "node:crypto";
import type { Role } from "./config.ts";

const digest = (token: string) => createHash("sha256").update(token).digest();

export interface FailureLimits {
  /** Failed attempts a client may make within `windowMs`. */
  maxFailures: number;
  windowMs: number;
  /** Clients remembered at once; the oldest are forgotten first. */
  maxClients: number;
}

const DEFAULT_LIMITS: FailureLimits = { maxFailures: 20, windowMs: 60_000, maxClients: 10_000 };

/**
 * The configured bearer tokens (`API_TOKENS`), as the API and the viewer check them: a candidate is
 * compared with every token in constant time, and a client that fails too often is held off.
 */
export class BearerTokens {
  private readonly digests: { digest: Buffer; role: Role }[];
  private readonly failures = new Map<string, number[]>();

  constructor(
    tokens: ReadonlyMap<string, Role>,
    private readonly limits: FailureLimits = DEFAULT_LIMITS,
  ) {
    this.digests = [...tokens].map(([token, role]) => ({ digest: digest(token), role }));
  }

  /** No tokens configured: the API and viewer are open (loopback only by default). */
  get open(): boolean {
    return this.digests.length === 0;
  }

  /** The token's role; every configured token is compared, so the time taken says nothing about any of them. */
  roleOf(candidate: string): Role | undefined {
    const candidateDigest = digest(candidate);
    let role: Role | undefined;
    for (const entry of this.digests) if (timingSafeEqual(entry.digest, candidateDigest)) role = entry.role;
    return role;
  }

  /** Seconds until `client` may try again after too many failures; undefined when it may now. */
  retryAfterS(client: string, now = Date.now()): number | undefined {
    const recent = this.recentFailures(client, now);
    if (recent.length < this.limits.maxFailures) return undefined;
    return Math.max(1, Math.ceil(((recent[0] as number) + this.limits.windowMs - now) / 1000));
  }

  recordFailure(client: string, now = Date.now()): void {
    const recent = this.recentFailures(client, now);
    recent.push(now);
    this.failures.delete(client);
    this.failures.set(client, recent);
    if (this.failures.size > this.limits.maxClients) {
      this.failures.delete(this.failures.keys().next().value as string);
    }
  }

  private recentFailures(client: string, now: number): number[] {
    return (this.failures.get(client) ?? []).filter((at) => at > now - this.limits.windowMs);
  }
}
