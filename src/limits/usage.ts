// A key's usage as it travels (isolate → the key's object → D1): its requests' rollup by minute,
// route, outcome and status class, and when the key last authenticated. Aggregated in memory and
// flushed in batches: never a write per request.
import { AUTH_REFUSED } from "../analytics/outcome.ts";
import { addSample, mergeRollup, type Rollup, type Sample } from "../analytics/rollup.ts";

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
