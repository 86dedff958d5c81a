import { describe, expect, it } from "vitest";
import { refill, secondsUntil, windowSeconds } from "../../src/limits/bucket.ts";
import { monthOf, secondsToMonthEnd } from "../../src/limits/month.ts";

const limit = { capacity: 10, refillPerSecond: 2 };

describe("token bucket arithmetic", () => {
  it("refills at the rate, never past capacity, never backwards in time", () => {
    expect(refill({ tokens: 0, at: 0 }, limit, 1000)).toEqual({ tokens: 2, at: 1000 });
    expect(refill({ tokens: 9, at: 0 }, limit, 10_000)).toEqual({ tokens: 10, at: 10_000 });
    expect(refill({ tokens: 3, at: 5000 }, limit, 4000)).toEqual({ tokens: 3, at: 5000 });
  });

  it("says how long until enough tokens", () => {
    expect(secondsUntil({ tokens: 0.5, at: 0 }, limit, 1)).toBe(0.25);
    expect(secondsUntil({ tokens: 4, at: 0 }, limit, 3)).toBe(0);
  });

  it("window = capacity ÷ refill, at least 1 s", () => {
    expect(windowSeconds(limit)).toBe(5);
    expect(windowSeconds({ capacity: 1, refillPerSecond: 100 })).toBe(1);
  });

  it("months are UTC calendar months", () => {
    expect(monthOf(Date.UTC(2026, 10, 30, 23, 59))).toBe("2026-11");
    expect(secondsToMonthEnd(Date.UTC(2026, 10, 30, 23, 59, 0))).toBe(60);
  });
});
