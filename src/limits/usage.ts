// A key's usage as it travels (isolate → the key's object → D1): its requests' rollup by minute,
// route, outcome and status class, and when the key last authenticated. Aggregated in memory and
// flushed in batches: never a write per request.
import { AUTH_REFUSED, type Outcome } from "../analytics/outcome.ts";
import { addSample, emptyCounts, mergeRollup, slotKey, type Counts, type Rollup, type Sample } from "../analytics/rollup.ts";

export type UsageReport = { rows: Rollup; lastUsedAt: number };

export const emptyReport = (): UsageReport => ({ rows: {}, lastUsedAt: 0 });

export function record(report: UsageReport, sample: Sample): void {
  addSample(report.rows, sample);
  // A revoked, expired or disabled key that keeps knocking has not been "used".
  if (!AUTH_REFUSED.includes(sample.outcome) && sample.at > report.lastUsedAt) report.lastUsedAt = sample.at;
}

export function merge(into: UsageReport, from: UsageReport): void {
  mergeRollup(into.rows, from.rows);
  if (from.lastUsedAt > into.lastUsedAt) into.lastUsedAt = from.lastUsedAt;
}

export const isEmpty = (r: UsageReport) => Object.keys(r.rows).length === 0;

/** The per-day counts of the release before analytics: `${day}|${route}` → these. */
type LegacyCounts = { requests: number; refused: number; s2xx: number; s3xx: number; s4xx: number; s5xx: number };

const isCurrent = (c: Counts | LegacyCounts): c is Counts => Array.isArray((c as Counts).hist);

/**
 * A report as this release reads it. Objects keep usage across a deploy, and isolates of the old
 * release report to objects of the new one while it rolls out: their per-day rows become rollup
 * rows at the day's first minute (the outcome from the status class; latency and cost unknown).
 */
export function upgradeReport<T extends UsageReport>(report: T): T {
  const entries = Object.entries(report.rows as Record<string, Counts | LegacyCounts>);
  if (entries.every(([, c]) => isCurrent(c))) return report;
  const rows: Rollup = {};
  for (const [slot, c] of entries) {
    if (isCurrent(c)) {
      rows[slot] = c;
      continue;
    }
    const [day, ...rest] = slot.split("|");
    const minute = Date.parse(`${day}T00:00:00Z`);
    if (Number.isNaN(minute)) continue;
    const add = (n: number, statusClass: number, outcome: Outcome) => {
      if (!(n > 0)) return;
      (rows[slotKey({ minute, statusClass, outcome, route: rest.join("|") })] ??= emptyCounts()).requests += n;
    };
    add(c.s2xx, 2, "valid");
    add(c.s3xx, 3, "valid");
    add(c.refused, 4, "rate_limited");
    add(c.s4xx - c.refused, 4, "invalid_request");
    add(c.s5xx, 5, "origin_error");
  }
  return { ...report, rows };
}
