// Latency as a fixed-bucket histogram: buckets add up across isolates, objects and rollups, which
// averages and percentiles do not. p50/p95/p99 are read back by interpolating inside a bucket, so
// they are exact to within the bucket's width (documented in README "Analytics").

/** Upper bounds in ms; a last, unbounded bucket follows. Also the Prometheus `le` values (in s). */
export const LATENCY_BOUNDS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;
export const HISTOGRAM_SIZE = LATENCY_BOUNDS_MS.length + 1;

export const emptyHistogram = (): number[] => new Array<number>(HISTOGRAM_SIZE).fill(0);

export function bucketOf(ms: number): number {
  for (let i = 0; i < LATENCY_BOUNDS_MS.length; i++) if (ms <= LATENCY_BOUNDS_MS[i]!) return i;
  return LATENCY_BOUNDS_MS.length;
}

/** The q-quantile (0 < q ≤ 1) of a histogram, in ms; null for an empty one. */
export function quantile(hist: readonly number[], q: number): number | null {
  const total = hist.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    const n = hist[i]!;
    if (n > 0 && seen + n >= rank) {
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      // The unbounded bucket has no width to interpolate in: report its lower bound.
      if (i >= LATENCY_BOUNDS_MS.length) return lower;
      const upper = LATENCY_BOUNDS_MS[i]!;
      return Math.round((lower + ((rank - seen) / n) * (upper - lower)) * 100) / 100;
    }
    seen += n;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
}

export function percentiles(hist: readonly number[]): { p50: number | null; p95: number | null; p99: number | null } {
  return { p50: quantile(hist, 0.5), p95: quantile(hist, 0.95), p99: quantile(hist, 0.99) };
}
