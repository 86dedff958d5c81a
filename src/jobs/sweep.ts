// The cron trigger's work: fail jobs whose origin has gone quiet, drop expired idempotency records,
// delete keys dead for longer than the retention period (key-retention.ts), drop analytics rollups
// past theirs (analytics/retention.ts), forget console sessions that ended or expired.
import { and, inArray, isNotNull, lt, or } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { consoleSessions } from "../db/people-schema.ts";
import { idempotencyKeys, jobs } from "../db/schema.ts";
import { log } from "../core/log.ts";
import { pruneRollups } from "../analytics/retention.ts";
import { hourRetentionMs, minuteRetentionMs, stuckAfterMs as stuckAfterMsOf } from "../config/settings.ts";
import { deleteDeadKeys } from "./key-retention.ts";
import { ALLOWED_FROM } from "./states.ts";

/**
 * `expiredKeys`: Idempotency-Key records dropped; `deletedKeys`: API keys deleted for retention;
 * `prunedRollups`: analytics rows past their retention; `endedSessions`: console sessions forgotten.
 */
export async function sweep(env: Env, now = Date.now()): Promise<{ failed: number; expiredKeys: number; deletedKeys: number; prunedRollups: number; endedSessions: number }> {
  const db = drizzle(env.DB);
  const stuckAfterMs = stuckAfterMsOf(env.JOB_STUCK_AFTER_SECONDS);
  const stale = now - stuckAfterMs;
  const [failed, expired, ended] = await db.batch([
    db
      .update(jobs)
      .set({ status: "failed", error: `timed out: no report from the origin for ${stuckAfterMs / 1000} s`, updatedAt: now, finishedAt: now })
      .where(and(inArray(jobs.status, [...ALLOWED_FROM.failed]), lt(jobs.updatedAt, stale)))
      .returning({ id: jobs.id }),
    db.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, now)).returning({ key: idempotencyKeys.key }),
    db.delete(consoleSessions).where(or(lt(consoleSessions.expiresAt, now), isNotNull(consoleSessions.endedAt))).returning({ id: consoleSessions.id }),
  ]);
  if (failed.length > 0) log("warn", "jobs.timed_out", { count: failed.length, ids: failed.slice(0, 50).map((r) => r.id) });
  let deletedKeys = 0;
  try {
    deletedKeys = await deleteDeadKeys(env, now);
  } catch (err) {
    // The next run tries again; the jobs above are done either way.
    log("error", "keys.retention_failed", { error: String(err) });
  }
  let prunedRollups = 0;
  try {
    prunedRollups = await pruneRollups(env.DB, now, { minuteMs: minuteRetentionMs(env.ANALYTICS_MINUTE_RETENTION_HOURS), hourMs: hourRetentionMs(env.ANALYTICS_HOUR_RETENTION_DAYS) });
  } catch (err) {
    log("error", "analytics.retention_failed", { error: String(err) });
  }
  return { failed: failed.length, expiredKeys: expired.length, deletedKeys, prunedRollups, endedSessions: ended.length };
}
