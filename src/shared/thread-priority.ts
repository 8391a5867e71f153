import { readFileSync, readlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { arch, constants, getPriority, setPriority } from "node:os";
import type Koffi from "koffi";

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
    const threadId = currentThreadId();
    if (getPriority(threadId) < priority) setPriority(threadId, priority);
  } catch {
    // No /proc (not Linux), or not permitted: the thread keeps the process's priority.
  }
}

/** The shortest time slice Linux grants a thread of the normal policy. */
const PROMPT_SLICE_NS = 100_000n;
const SCHED_OTHER = 0;
const SCHED_FLAG_RESET_ON_FORK = 1n;
/** sched_setattr has no libc wrapper in glibc before 2.41: it is called by number. */
const SYS_SCHED_SETATTR: Partial<Record<string, number>> = { x64: 314, arm64: 274 };

/**
 * Lets the calling thread, the one that answers requests, take a core the moment it wakes. Linux's
 * scheduler (EEVDF) lets a running thread finish its time slice, 1.4 ms or more, whatever its
 * priority: a woken API thread waited behind two of them, 3 to 8 ms, while the ingest threads kept
 * both cores busy. A thread with a shorter slice preempts at once (Linux 6.12 and later), so this
 * one asks for the shortest, 100 µs. Its CPU share is unchanged, and threads and processes it starts
 * get the default slice back. Returns whether the kernel accepted the call (one before 6.12 accepts
 * it and keeps its own slice); elsewhere this does nothing.
 */
export function answerPromptly(): boolean {
  const syscallNumber = SYS_SCHED_SETATTR[arch()];
  if (process.platform !== "linux" || syscallNumber === undefined) return false;
  try {
    const threadId = currentThreadId();
    // Only a thread of the normal policy: one a user put under SCHED_BATCH or SCHED_IDLE stays so.
    if (schedulingPolicy() !== SCHED_OTHER) return false;
    // struct sched_attr, its first version (48 bytes); the nice value is kept as it is.
    const attributes = Buffer.alloc(48);
    attributes.writeUInt32LE(attributes.byteLength, 0);
    attributes.writeUInt32LE(SCHED_OTHER, 4);
    attributes.writeBigUInt64LE(SCHED_FLAG_RESET_ON_FORK, 8);
    attributes.writeInt32LE(getPriority(threadId), 16);
    attributes.writeBigUInt64LE(PROMPT_SLICE_NS, 24);
    // Loaded here, not imported: without its native binary (an unsupported platform, optional
    // packages left out) koffi throws as it loads, and this must then do nothing.
    const koffi = createRequire(import.meta.url)("koffi") as typeof Koffi;
    const syscall = koffi.load(null).func("long syscall(long number, ...)");
    // The variadic arguments are read as longs.
    return syscall(syscallNumber, "long", 0, "void *", attributes, "long", 0) === 0;
  } catch {
    // No /proc, no koffi, no libc to call, or a kernel without sched_setattr.
    return false;
  }
}

/** The calling thread's id, which Linux's per-thread calls take. */
function currentThreadId(): number {
  const threadId = Number(readlinkSync("/proc/thread-self").split("/").at(-1));
  if (!Number.isInteger(threadId)) throw new Error("no thread id in /proc/thread-self");
  return threadId;
}

/** The calling thread's scheduling policy: field 41 of its stat, the 39th after the command name. */
function schedulingPolicy(): number {
  const stat = readFileSync("/proc/thread-self/stat", "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[38]);
}
