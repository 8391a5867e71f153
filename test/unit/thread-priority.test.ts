import { once } from "node:events";
import { getPriority } from "node:os";
import { describe, expect, it } from "vitest";
import { startModuleWorker } from "../../src/shared/worker-thread.ts";

describe("runInBackground", () => {
  // Linux gives each thread a priority of its own; elsewhere the call does nothing.
  it.skipIf(process.platform !== "linux")(
    "lowers the calling thread's priority, not its process's",
    async () => {
      const worker = startModuleWorker(new URL("./fixtures/background-thread.ts", import.meta.url));
      const [reported] = (await once(worker, "message")) as [
        { before: number; after: number; mainThread: number },
      ];
      await worker.terminate();
      expect(reported.after).toBe(Math.max(reported.before, 10));
      expect(reported.mainThread).toBe(getPriority(process.pid));
    },
  );
});
