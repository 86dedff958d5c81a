// The span a rule looks at, and the spans its usage_anomaly baseline comes from.
//
// A rule with windowMinutes W evaluated at `now` counts the analytics_minute buckets from
// floor(now to the minute) − W minutes through floor(now to the minute): the last W whole minutes
// plus the current, still filling one. The window is therefore W minutes plus the part of the
// current minute that has passed (its exact length is what the anomaly baseline is scaled to).
//
// The baseline looks at the same window 1…7 days earlier in analytics_hour (minute rows are kept
// for 48 h only): the hour buckets overlapping each earlier window, scaled by window length ÷ the
// length of those hours.
import { DAY_MS, floorTo, HOUR_MS, MINUTE_MS } from "../analytics/rollup.ts";

export const BASELINE_DAYS = 7;

export type MinuteWindow = {
  /** First and last minute bucket counted (both inclusive). */
  firstBucket: number;
  lastBucket: number;
  /** W minutes plus the elapsed part of the current minute. */
  lengthMs: number;
};

export function minuteWindow(now: number, windowMinutes: number): MinuteWindow {
  const current = floorTo(now, MINUTE_MS);
  const firstBucket = current - windowMinutes * MINUTE_MS;
  return { firstBucket, lastBucket: current, lengthMs: now - firstBucket };
}

export type BaselineSpans = {
  /** For each of the BASELINE_DAYS earlier days, the first and last hour bucket overlapping the window. */
  days: { firstHour: number; lastHour: number }[];
  /** Multiply a day's hour-row requests by this to scale them to the window's length. */
  scale: number;
};

export function baselineSpans(now: number, windowMinutes: number): BaselineSpans {
  const w = minuteWindow(now, windowMinutes);
  const days = Array.from({ length: BASELINE_DAYS }, (_, i) => {
    const start = w.firstBucket - (i + 1) * DAY_MS;
    const end = start + w.lengthMs; // exclusive
    return { firstHour: floorTo(start, HOUR_MS), lastHour: floorTo(end - 1, HOUR_MS) };
  });
  const first = days[0]!;
  const coveredMs = first.lastHour - first.firstHour + HOUR_MS;
  return { days, scale: w.lengthMs / coveredMs };
}
