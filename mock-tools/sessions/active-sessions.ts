import { createHash } from "node:crypto";

const APPS = ["okta", "google-workspace", "slack", "github", "vpn"] as const;
const IP_PREFIXES = ["192.0.2.", "198.51.100.", "203.0.113."] as const;
const MINUTE_MS = 60_000;

export interface Session {
  id: string;
  app: (typeof APPS)[number];
  created_at: string;
  last_active_at: string;
  ip: string;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/**
 * The 2 to 4 sessions an employee has open before any revocation. They are derived from a hash of
 * the id, so every run of a scenario sees the same sessions; times are relative to `now`.
 */
export function activeSessionsFor(employeeId: string, now: Date): Session[] {
  const count = 2 + (digest(employeeId).readUInt8(0) % 3);
  return Array.from({ length: count }, (_, index) => sessionFrom(digest(`${employeeId}#${index}`), now));
}

function sessionFrom(bytes: Buffer, now: Date): Session {
  const idleMinutes = bytes.readUInt8(0) % 180;
  const openMinutes = 30 + (bytes.readUInt16BE(1) % (7 * 24 * 60));
  const lastActive = now.getTime() - idleMinutes * MINUTE_MS;
  return {
    id: `sess_${bytes.toString("hex", 4, 16)}`,
    app: APPS[bytes.readUInt8(3) % APPS.length]!,
    created_at: new Date(lastActive - openMinutes * MINUTE_MS).toISOString(),
    last_active_at: new Date(lastActive).toISOString(),
    ip: IP_PREFIXES[bytes.readUInt8(16) % IP_PREFIXES.length]! + (1 + (bytes.readUInt8(17) % 254)),
  };
}
