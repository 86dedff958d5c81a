// Retention of the rollups, run by the cron sweep: minute rows past their retention, hour rows and
// the offenders' hourly counts past theirs. Day rows are kept: they are the counters' history
// (Prometheus totals) and cost little. Bounded per run so one invocation stays small; a backlog
// drains over the next runs.
const PER_TABLE_PER_RUN = 5_000;

export async function pruneRollups(db: D1Database, now: number, keep: { minuteMs: number; hourMs: number }): Promise<number> {
  const minuteCutoff = now - keep.minuteMs;
  const hourCutoff = now - keep.hourMs;
  const prune = (table: string, cutoff: number) =>
    db.prepare(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE bucket < ? LIMIT ?)`).bind(cutoff, PER_TABLE_PER_RUN);
  const results = await db.batch([
    prune("analytics_minute", minuteCutoff),
    prune("analytics_hour", hourCutoff),
    prune("auth_failure_networks", hourCutoff),
  ]);
  return results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
}
