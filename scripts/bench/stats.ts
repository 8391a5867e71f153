import { createHistogram } from "node:perf_hooks";

/** Nearest-rank percentile of already sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error("percentile of no values");
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export const sortedCopy = (values: readonly number[]) => [...values].sort((a, b) => a - b);

export const median = (values: readonly number[]) => percentile(sortedCopy(values), 50);

/** `items` in consecutive slices of at most `size`. */
export const batchesOf = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, index) =>
    items.slice(index * size, (index + 1) * size),
  );

/** Rounds to `digits` significant digits: enough for a report, few enough to read. */
export function significant(value: number, digits = 4): number {
  return value === 0 || !Number.isFinite(value) ? value : Number(value.toPrecision(digits));
}

/** A line on stderr, with the resident set size: the memory peak's phase shows in the log. */
export function progress(message: string) {
  const rssMb = Math.round(process.memoryUsage.rss() / 1_048_576);
  process.stderr.write(`bench: ${message} [rss ${rssMb} MB]\n`);
}

/**
 * A full collection before a measured phase (the bench runs with --expose-gc), so that the phase
 * does not pay for the garbage of the one before. A profile of the OTLP run showed single
 * collections of 27 and 44 ms; with a collection first, its p99 event-loop delay fell from 12–16 ms
 * to 8–10 ms, and the exporter's from 16–18 ms to 12–13 ms (three runs each, 20,000 spans).
 */
export function collectGarbage() {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * The event-loop delay while `measuring` runs, over as many calls as it is given, counted as Node's
 * `monitorEventLoopDelay` counts it: the time from one sample to the next of a timer due every
 * millisecond, that millisecond included (so an idle loop reads about 1 ms). Node's monitor cannot
 * pause: enabled again, it counts the time it was off as one long delay, and the exporter's run
 * pauses between batches to make the next.
 */
export class EventLoopDelay {
  private readonly intervals = createHistogram();

  async measuring<T>(work: () => Promise<T>): Promise<T> {
    let last = performance.now();
    const sample = () => {
      const now = performance.now();
      this.intervals.record(Math.max(1, Math.round((now - last) * 1e6)));
      last = now;
      timer = setTimeout(sample, 1);
    };
    let timer = setTimeout(sample, 1);
    try {
      return await work();
    } finally {
      clearTimeout(timer);
    }
  }

  p99Ms(): number {
    return significant(this.intervals.percentile(99) / 1e6, 3);
  }
}
