/**
 * The curve of a reconnect storm: from the times at which clients were back (connected and
 * authenticated again), the count back by the end of each time bucket, and the time by which a
 * given share was back. Pure.
 */

/** One bucket of the curve. */
export interface CurvePoint {
  /** End of the bucket, ms after the curve's origin (the restarted server's listening line). */
  readonly ms: number;
  /** Clients back by then (cumulative). */
  readonly reconnected: number;
  /** Clients back within this bucket. */
  readonly inBucket: number;
}

/**
 * Buckets `backAtMs` (ms after the origin; negative: before it, counted in the first bucket) into
 * buckets of `bucketMs` from 0 to `endMs` (at least one bucket; times past `endMs` are left out).
 */
export function bucketCurve(backAtMs: readonly number[], bucketMs: number, endMs: number): CurvePoint[] {
  if (!(bucketMs > 0)) throw new RangeError('bucketMs must be > 0');
  const buckets = Math.max(1, Math.ceil(endMs / bucketMs));
  const counts = new Array<number>(buckets).fill(0);
  for (const t of backAtMs) {
    if (t > endMs) continue;
    const i = Math.min(buckets - 1, Math.max(0, Math.ceil(t / bucketMs) - 1));
    counts[i]!++;
  }
  let total = 0;
  return counts.map((n, i) => ({ ms: (i + 1) * bucketMs, reconnected: (total += n), inBucket: n }));
}

/** The time (ms after the origin) by which `share` (0..1) of `of` clients were back; undefined if they never were. */
export function timeToShare(backAtMs: readonly number[], of: number, share: number): number | undefined {
  const need = Math.ceil(of * share);
  if (need === 0) return 0;
  if (backAtMs.length < need) return undefined;
  const sorted = [...backAtMs].sort((a, b) => a - b);
  return Math.max(0, sorted[need - 1]!);
}
