import { readlinkSync } from "node:fs";
import { constants, setPriority } from "node:os";

/**
 * Lowers the calling thread's CPU priority, for background work that must not keep a core from a
 * thread that answers requests: when both want one, the scheduler picks the request. Linux gives
 * each thread a priority of its own (found through /proc/thread-self); elsewhere this does nothing.
 */
export function runInBackground(priority: number = constants.priority.PRIORITY_BELOW_NORMAL): void {
  try {
    const threadId = Number(readlinkSync("/proc/thread-self").split("/").at(-1));
    if (Number.isInteger(threadId)) setPriority(threadId, priority);
  } catch {
    // No /proc (not Linux), or not permitted: the thread keeps the process's priority.
  }
}
