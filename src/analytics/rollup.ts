// Counts of requests per minute, route, outcome and status class: what an isolate hands the key's
// object, what the object keeps until its flush, and what D1's rollups add up. Merging two is
// addition, so a count is never lost or doubled by the path it takes.
import { bucketOf, emptyHistogram, HISTOGRAM_SIZE } from "../core/latency-histogram.ts";
import type { Outcome } from "./outcome.ts";

/** bytes: WebSocket message sizes (both directions); 0 for HTTP requests. */
export type Counts = { requests: number; cost: number; bytes: number; latencyMs: number; hist: number[] };

/** Keyed by slotKey(): `${minuteStartMs}|${statusClass}|${outcome}|${route}` (route last: it may hold "|"). */
export type Rollup = Record<string, Counts>;

/** `latencyMs` null: not a request with a latency (a WebSocket message), so the histogram stays the requests'. */
export type Sample = { at: number; route: string; outcome: Outcome; status: number; latencyMs: number | null; cost: number; bytes?: number };
export type Slot = { minute: number; statusClass: number; outcome: Outcome; route: string };

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export const floorTo = (ms: number, unit: number): number => ms - (((ms % unit) + unit) % unit);

export function slotKey(s: Slot): string {
  return `${s.minute}|${s.statusClass}|${s.outcome}|${s.route}`;
}

export function parseSlot(key: string): Slot {
  const [minute, statusClass, outcome, ...route] = key.split("|");
  return { minute: Number(minute), statusClass: Number(statusClass), outcome: outcome as Outcome, route: route.join("|") };
}

export const statusClassOf = (status: number): number => Math.min(5, Math.max(1, Math.floor(status / 100)));

export const emptyCounts = (): Counts => ({ requests: 0, cost: 0, bytes: 0, latencyMs: 0, hist: emptyHistogram() });

export function addSample(rollup: Rollup, s: Sample): void {
  const key = slotKey({ minute: floorTo(s.at, MINUTE_MS), statusClass: statusClassOf(s.status), outcome: s.outcome, route: s.route });
  const c = (rollup[key] ??= emptyCounts());
  c.requests++;
  c.cost += s.cost;
  c.bytes += s.bytes ?? 0;
  if (s.latencyMs === null) return;
  c.latencyMs += s.latencyMs;
  c.hist[bucketOf(s.latencyMs)]!++;
}

export function addCounts(into: Counts, from: Counts): void {
  into.requests += from.requests;
  into.cost += from.cost;
  // Reports and stored rows from the release before bytes have none: they merge as 0.
  into.bytes = (into.bytes ?? 0) + (from.bytes ?? 0);
  into.latencyMs += from.latencyMs;
  for (let i = 0; i < HISTOGRAM_SIZE; i++) into.hist[i]! += from.hist[i] ?? 0;
}

export function mergeRollup(into: Rollup, from: Rollup): void {
  for (const [key, counts] of Object.entries(from)) addCounts((into[key] ??= emptyCounts()), counts);
}
