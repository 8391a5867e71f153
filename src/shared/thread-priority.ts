import { readlinkSync } from "node:fs";
import { constants, getPriority, setPriority } from "node:os";

/**
 * Lowers the calling thread's CPU priority (never raises it), for background work that must not keep
 * a core from a thread that answers requests: when both want one, the scheduler picks the request.
 * Linux gives each thread a priority of its own (found through /proc/thread-self); elsewhere this
 * does nothing. Threads inherit it from the thread that starts them: call it from a thread that
 * starts none the process shares (libuv's pool is started by its first user, the main thread in
 * `serve`).
 */
export function runInBackground(): void {
  const priority = constants.priority.PRIORITY_BELOW_NORMAL;
  try {
    const threadId = Number(readlinkSync("/proc/thread-self").split("/").at(-1));
    if (Number.isInteger(threadId) && getPriority(threadId) < priority) setPriority(threadId, priority);
  } catch {
    // No /proc (not Linux), or not permitted: the thread keeps the process's priority.
  }
}
