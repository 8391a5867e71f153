import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../src/store/migrations.ts";
import { toSpanRow } from "../../src/store/records.ts";
import { SqliteTraceStore } from "../../src/store/sqlite-store.ts";
import { startModuleWorker } from "../../src/shared/worker-thread.ts";
import { healthyTrace } from "../helpers/trace-builder.ts";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A store file as an earlier release left it: the first `version` migrations applied, spans in it. */
function storeAtVersion(version: number) {
  const dir = mkdtempSync(join(tmpdir(), "migrations-"));
  dirs.push(dir);
  const path = join(dir, "store.db");
  const db = new Database(path);
  for (const sql of MIGRATIONS.slice(0, version)) db.exec(sql);
  db.pragma(`user_version = ${version}`);
  // Every version so far has the same span columns.
  for (const row of healthyTrace().build().map(toSpanRow)) {
    const columns = Object.keys(row);
    db.prepare(
      `INSERT INTO spans (${columns.join(", ")}) VALUES (${columns.map((column) => `@${column}`).join(", ")})`,
    ).run(row);
  }
  db.close();
  return path;
}

describe("store migrations", () => {
  it("migrates a new store once when several processes open it at the same moment", async () => {
    // Every process of a run (the assistant and its three services) opens the store as it starts.
    const dir = mkdtempSync(join(tmpdir(), "migrations-"));
    dirs.push(dir);
    const workers = 6;
    const workerData = { path: join(dir, "store.db"), barrier: new SharedArrayBuffer(4), workers };
    const results = await Promise.all(
      Array.from({ length: workers }, async () => {
        const worker = startModuleWorker(new URL("./fixtures/open-store-worker.ts", import.meta.url), {
          workerData,
        });
        const [message] = (await once(worker, "message")) as [string];
        await worker.terminate();
        return message;
      }),
    );
    expect(results).toEqual(Array(workers).fill("opened"));
  });

  it("brings a version-3 store up to date, keeping its spans, with spans in a rowid table", async () => {
    const path = storeAtVersion(3);
    const [first] = healthyTrace().build();
    if (!first) throw new Error("the trace builder built nothing");

    const store = new SqliteTraceStore(path);

    expect(store.db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    const spansSql = store.db.prepare("SELECT sql FROM sqlite_master WHERE name = 'spans'").pluck().get();
    expect(spansSql).not.toMatch(/WITHOUT ROWID/i);
    expect(await store.spansOf(first.traceId)).toEqual(
      healthyTrace()
        .build()
        .sort((a, b) => Number(a.startNs - b.startNs) || a.spanId.localeCompare(b.spanId)),
    );
    // The ids stay unique, and the store is append-only: writing a span again changes nothing.
    expect(await store.addSpans([{ ...first, name: "renamed" }])).toBe(0);
    expect((await store.spansOf(first.traceId)).filter((span) => span.spanId === first.spanId)).toEqual([
      first,
    ]);
    expect((await store.rootOf(first.traceId))?.spanId).toBe(first.parentSpanId ?? first.spanId);
    await store.close();
  });

  it("counts the spans each summary and settled claim read, for traces summarized before they said so", async () => {
    const path = storeAtVersion(MIGRATIONS.length - 1);
    const spans = healthyTrace().build();
    const traceId = spans[0]!.traceId;
    const db = new Database(path);
    db.prepare(
      `INSERT INTO trace_summaries (trace_id, root_span_id, root_name, start_ns, duration_ms, status, updated_at)
       VALUES (?, ?, 'root', 0, 1, 'OK', '2026-12-01T00:00:00Z')`,
    ).run(traceId, spans[0]!.spanId);
    db.prepare("INSERT INTO trace_claims (trace_id, owner, claimed_until) VALUES (?, 'replica-a', ?)").run(
      traceId,
      Number.MAX_SAFE_INTEGER,
    );
    db.close();

    const store = new SqliteTraceStore(path);
    expect(await store.summarizedSpanCount(traceId)).toBe(spans.length);
    expect(store.db.prepare("SELECT settled_spans FROM trace_claims").pluck().get()).toBe(spans.length);
    expect(await store.undiagnosedTraceIds()).toEqual([]);
    await store.close();
  });

  it("leaves an up-to-date store as it is", async () => {
    const path = storeAtVersion(MIGRATIONS.length);
    await new SqliteTraceStore(path).close();
    const store = new SqliteTraceStore(path);
    expect(store.db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    expect(await store.traceIds()).toHaveLength(1);
    await store.close();
  });
});
