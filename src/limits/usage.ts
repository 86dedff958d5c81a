// Usage counters, aggregated in memory (isolate, then the key's object) and flushed to D1 in
// batches: never a write per request.
export type UsageCounts = {
  requests: number;
  refused: number;
  s2xx: number;
  s3xx: number;
  s4xx: number;
  s5xx: number;
};

/** Keyed by `${day}|${route}`, day as YYYY-MM-DD (UTC). */
export type UsageReport = { rows: Record<string, UsageCounts>; lastUsedAt: number };

export const emptyCounts = (): UsageCounts => ({ requests: 0, refused: 0, s2xx: 0, s3xx: 0, s4xx: 0, s5xx: 0 });

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function record(report: UsageReport, at: number, route: string, status: number): void {
  const slot = `${utcDay(at)}|${route}`;
  const c = (report.rows[slot] ??= emptyCounts());
  c.requests++;
  if (status === 429) c.refused++;
  if (status >= 200 && status < 300) c.s2xx++;
  else if (status < 400) c.s3xx++;
  else if (status < 500) c.s4xx++;
  else c.s5xx++;
  if (at > report.lastUsedAt) report.lastUsedAt = at;
}

export function merge(into: UsageReport, from: UsageReport): void {
  for (const [slot, counts] of Object.entries(from.rows)) {
    const c = (into.rows[slot] ??= emptyCounts());
    for (const k of Object.keys(counts) as (keyof UsageCounts)[]) c[k] += counts[k];
  }
  if (from.lastUsedAt > into.lastUsedAt) into.lastUsedAt = from.lastUsedAt;
}

export const isEmpty = (r: UsageReport) => Object.keys(r.rows).length === 0;
