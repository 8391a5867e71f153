import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** The size of an HMAC-SHA256 output: a shorter key would be the weakest link. */
export const MIN_KEY_BYTES = 32;

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const GENERATE_HINT = "generate one with `openssl rand -hex 32`";

export interface KeyOptions {
  /** Hex or base64 (standard or url-safe) key from configuration; empty or absent: use the key file. */
  configured?: string;
  /** Per-installation key file, created on first run. */
  path: string;
}

/**
 * The pseudonymization key: the configured one, else the key file at `path`, created on first run with
 * 32 random bytes (hex, mode 0600). A key file readable by group or others is refused, not repaired: its
 * key may already have been copied, and only the operator can decide to rotate it.
 */
export function loadOrCreateKey(options: KeyOptions): Buffer {
  const configured = options.configured?.trim();
  if (configured) return decodeKey(configured, "The configured pseudonymization key");
  return readKeyFile(options.path) ?? createKeyFile(options.path);
}

/** Error messages name the key's source and size, never its value. */
function decodeKey(text: string, source: string): Buffer {
  let key: Buffer;
  if (HEX.test(text)) key = Buffer.from(text, "hex");
  else if (BASE64.test(text)) key = Buffer.from(text, "base64");
  else throw new Error(`${source} is neither hex nor base64; ${GENERATE_HINT}.`);
  if (key.length < MIN_KEY_BYTES) {
    throw new Error(
      `${source} decodes to ${key.length} bytes; at least ${MIN_KEY_BYTES} are needed; ${GENERATE_HINT}.`,
    );
  }
  return key;
}

function readKeyFile(path: string): Buffer | undefined {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw error;
  }
  // Windows has no POSIX permission bits: its ACLs are the operator's business.
  if (process.platform !== "win32" && (mode & 0o077) !== 0) {
    throw new Error(
      `The pseudonymization key file ${path} is readable by group or others (mode ${(mode & 0o777).toString(8)}); ` +
        `restrict it with \`chmod 600 ${path}\`, or delete it to start over with new pseudonyms.`,
    );
  }
  return decodeKey(readFileSync(path, "utf8").trim(), `The pseudonymization key file ${path}`);
}

function createKeyFile(path: string): Buffer {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const key = randomBytes(MIN_KEY_BYTES);
  const temporary = `${path}.${process.pid}.tmp`;
  rmSync(temporary, { force: true });
  writeFileSync(temporary, `${key.toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  try {
    // A hard link publishes the complete file atomically and fails if another process got there first.
    linkSync(temporary, path);
    return key;
  } catch (error) {
    if (errorCode(error) !== "EEXIST") throw error;
    const winner = readKeyFile(path);
    if (!winner) throw error;
    return winner;
  } finally {
    rmSync(temporary, { force: true });
  }
}

function errorCode(error: unknown): unknown {
  return error instanceof Error && "code" in error ? error.code : undefined;
}
