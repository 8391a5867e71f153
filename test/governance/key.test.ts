import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadOrCreateKey } from "../../src/governance/key.ts";

describe("loadOrCreateKey", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "governance-key-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("uses a configured hex or base64 key and writes no file", () => {
    const bytes = Buffer.alloc(32, 7);
    const path = join(dir, "key");
    expect(loadOrCreateKey({ configured: bytes.toString("hex"), path })).toEqual(bytes);
    expect(loadOrCreateKey({ configured: ` ${bytes.toString("base64")}\n`, path })).toEqual(bytes);
    expect(loadOrCreateKey({ configured: Buffer.alloc(48, 9).toString("base64url"), path })).toEqual(
      Buffer.alloc(48, 9),
    );
    expect(() => statSync(path)).toThrow();
  });

  it("rejects a configured key that is short or not hex/base64, without echoing it", () => {
    const path = join(dir, "key");
    const short = Buffer.alloc(16, 3).toString("hex");
    expect(() => loadOrCreateKey({ configured: short, path })).toThrow(/16 bytes; at least 32/);
    expect(() => loadOrCreateKey({ configured: short, path })).not.toThrow(new RegExp(short));
    expect(() => loadOrCreateKey({ configured: "not a key!", path })).toThrow(/neither hex nor base64/);
  });

  it("generates a 32-byte key on first run, stores it with mode 0600 and reuses it", () => {
    const path = join(dir, "nested", "dir", "pseudonym.key");
    const first = loadOrCreateKey({ path });
    expect(first).toHaveLength(32);
    if (process.platform !== "win32") expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, "utf8").trim()).toBe(first.toString("hex"));
    expect(loadOrCreateKey({ path })).toEqual(first);
    expect(loadOrCreateKey({ configured: "", path })).toEqual(first);
  });

  it.skipIf(process.platform === "win32")("refuses a key file readable by group or others", () => {
    const path = join(dir, "pseudonym.key");
    writeFileSync(path, Buffer.alloc(32, 5).toString("hex"));
    chmodSync(path, 0o644);
    expect(() => loadOrCreateKey({ path })).toThrow(/readable by group or others \(mode 644\).*chmod 600/);
  });

  it("rejects a key file that holds a short key", () => {
    const path = join(dir, "pseudonym.key");
    writeFileSync(path, "abcd\n", { mode: 0o600 });
    expect(() => loadOrCreateKey({ path })).toThrow(/key file .* decodes to 2 bytes/);
  });
});
