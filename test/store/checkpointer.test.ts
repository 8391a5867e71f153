import Database from "better-sqlite3";
import { statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { startCheckpointer } from "../../src/store/checkpointer.ts";
import { openTraceStore } from "../../src/store/trace-store.ts";
import { tempStore } from "../helpers/processes.ts";
import { healthyTrace } from "../helpers/trace-builder.ts";

async function until(condition: () => boolean, timeoutMs = 60_000) {
  for (const deadline = Date.now() + timeoutMs; !condition(); await sleep(20)) {
    if (Date.now() > deadline) throw new Error("timed out");
  }
}

describe("checkpointer", () => {
  it("moves a writer's WAL into the database file from its worker thread", async () => {
    const { traceStore: path } = tempStore();
    const writer = new Database(path);
    writer.pragma("journal_mode = WAL");
    writer.pragma("wal_autocheckpoint = 0");
    writer.exec("CREATE TABLE blobs (body TEXT)");
    const insert = writer.prepare("INSERT INTO blobs VALUES (?)");
    for (let index = 0; index < 200; index++) insert.run("x".repeat(10_000));
    const databaseBytes = () => statSync(path).size;
    // With automatic checkpoints off, the rows are in the WAL only.
    expect(databaseBytes()).toBeLessThan(100_000);

    const checkpointer = startCheckpointer(path, 20);
    await until(() => databaseBytes() > 2_000_000);
    await checkpointer.stop();

    expect(writer.prepare("SELECT COUNT(*) FROM blobs").pluck().get()).toBe(200);
    writer.close();
  });

  it("serves every store on a file in the process until the last one closes", async () => {
    const { traceStore: path } = tempStore();
    const first = await openTraceStore(path, { backgroundCheckpoints: true });
    const second = await openTraceStore(path, { backgroundCheckpoints: true });
    const schemaOnly = statSync(path).size;
    await first.close();

    const padding = "x".repeat(10_000);
    await second.addSpans(
      Array.from({ length: 20 }, (_, index) =>
        healthyTrace()
          .build()
          .map((span) => ({
            ...span,
            traceId: index.toString(16).padStart(32, "b"),
            attributes: { ...span.attributes, padding },
          })),
      ).flat(),
    );

    // The first store's close must not stop the checkpoints the second one relies on.
    await until(() => statSync(path).size > schemaOnly + 1_000_000);
    expect(statSync(path).size - schemaOnly).toBeGreaterThan(1_000_000);
    expect(await second.traceIds()).toHaveLength(20);
    await second.close();
  });
});
