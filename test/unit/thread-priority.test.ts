import { once } from "node:events";
import { getPriority, release } from "node:os";
import { describe, expect, it } from "vitest";
import { answerPromptly } from "../../src/shared/thread-priority.ts";
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

/** Custom time slices for the normal policy came with Linux 6.12. */
function kernelHasCustomSlices(): boolean {
  const [major = 0, minor = 0] = release().split(".").map(Number);
  return process.platform === "linux" && (major > 6 || (major === 6 && minor >= 12));
}

describe("answerPromptly", () => {
  it.skipIf(!kernelHasCustomSlices())(
    "gives the calling thread the shortest slice, keeps its nice value, and not to the threads it starts",
    async () => {
      const worker = startModuleWorker(new URL("./fixtures/prompt-thread.ts", import.meta.url));
      const [reported] = (await once(worker, "message")) as [
        {
          answered: boolean;
          before: { sliceNs: number; nice: number };
          after: { sliceNs: number; nice: number };
          childSliceNs: number;
        },
      ];
      await worker.terminate();
      expect(reported.answered).toBe(true);
      expect(reported.before.sliceNs).toBeGreaterThan(100_000);
      expect(reported.after).toEqual({ sliceNs: 100_000, nice: reported.before.nice });
      expect(reported.childSliceNs).toBe(reported.before.sliceNs);
    },
  );

  it.skipIf(process.platform === "linux")("does nothing elsewhere", () => {
    expect(answerPromptly()).toBe(false);
  });
});
