import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bucketOf, emptyHistogram, LATENCY_BOUNDS_MS, percentiles, quantile } from "../../src/core/latency-histogram.ts";

describe("latency histogram", () => {
  it("puts each latency in the first bucket whose bound holds it", () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(1)).toBe(0);
    expect(bucketOf(1.5)).toBe(1);
    expect(bucketOf(10_000)).toBe(LATENCY_BOUNDS_MS.length - 1);
    expect(bucketOf(60_000)).toBe(LATENCY_BOUNDS_MS.length);
  });

  it("reads percentiles back within the width of their bucket", () => {
    const hist = emptyHistogram();
    for (let i = 0; i < 90; i++) hist[bucketOf(3)]!++; // (2, 5]
    for (let i = 0; i < 10; i++) hist[bucketOf(400)]!++; // (250, 500]
    const p = percentiles(hist);
    expect(p.p50).toBeGreaterThan(2);
    expect(p.p50).toBeLessThanOrEqual(5);
    expect(p.p95).toBeGreaterThan(250);
    expect(p.p99).toBeLessThanOrEqual(500);
    expect(quantile(emptyHistogram(), 0.5)).toBeNull();
  });

  it("is monotonic in q and stays within the bounds, for any counts", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { minLength: LATENCY_BOUNDS_MS.length + 1, maxLength: LATENCY_BOUNDS_MS.length + 1 }), (hist) => {
        const qs = [0.5, 0.95, 0.99].map((q) => quantile(hist, q));
        if (hist.every((n) => n === 0)) return qs.every((q) => q === null);
        for (let i = 1; i < qs.length; i++) if (qs[i]! < qs[i - 1]!) return false;
        return qs.every((q) => q! >= 0 && q! <= LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!);
      }),
    );
  });
});
