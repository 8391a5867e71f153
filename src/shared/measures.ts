/** Small measures several layers compute alike: span times and percentiles. */

/** A span time, in nanoseconds since the epoch, as an ISO instant. */
export const nsToIso = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString();

/** A span's duration in milliseconds. */
export const spanMs = (span: { startNs: bigint; endNs: bigint }) => Number(span.endNs - span.startNs) / 1e6;

/** The value at percentile `p` of ascending `sorted` (nearest rank), as the named queries compute it. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}
