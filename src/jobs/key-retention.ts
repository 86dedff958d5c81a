// Retention: a key that was revoked, or expired, KEY_RETENTION_DAYS ago is deleted by the cron
// sweep, exactly as DELETE /v1/keys/{id} deletes (keys/tombstone.ts): its secrets' hashes erased,
// its row kept as a tombstone, an audit row `key.delete` with no actor. Such a key already fails
// everywhere, so no cache needs telling; only its object is told to forget the hashes it holds.
import { and, isNull, lte, or } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { keyRetentionMs } from "../config/settings.ts";
import { log } from "../core/log.ts";
import { newId } from "../db/ids.ts";
import { apiKeys, type ApiKeyRow, type AuditRow } from "../db/schema.ts";
import { authStateOfRow } from "../limits/protocol.ts";
import { TOMBSTONE_STATEMENTS, tombstoneOutcome, tombstoneStatements } from "../keys/tombstone.ts";

/**
 * Keys per run. The cron runs every minute, so a backlog drains at 72,000 keys a day, and one
 * run stays well inside what one invocation may send to D1 (3 statements a key, one batch) and to
 * Durable Objects (one call a key).
 */
export const RETENTION_BATCH = 50;

const DAY_MS = 86_400_000;

/** Deletes up to RETENTION_BATCH keys that have been dead for the retention period; returns how many. */
export async function deleteDeadKeys(env: Env, now: number): Promise<number> {
  const retentionMs = keyRetentionMs(env.KEY_RETENTION_DAYS);
  if (retentionMs === null) return 0;
  const cutoff = now - retentionMs;
  const db = drizzle(env.DB);
  const due = await db
    .select()
    .from(apiKeys)
    .where(and(isNull(apiKeys.deletedAt), or(lte(apiKeys.revokedAt, cutoff), lte(apiKeys.expiresAt, cutoff))))
    .limit(RETENTION_BATCH)
    .all();
  if (due.length === 0) return 0;
  // The condition again, inside the UPDATE: a key given a new expiry since the SELECT stays.
  const stillDue = { sql: "(revoked_at <= ? OR expires_at <= ?)", params: [cutoff, cutoff] };
  const statements = due.flatMap((key) =>
    tombstoneStatements(env.DB, { keyId: key.id, now, by: null, audit: retentionAudit(key, cutoff, retentionMs / DAY_MS, now), only: stillDue }),
  );
  const results = await env.DB.batch(statements);
  const deleted = due.filter((_, i) => tombstoneOutcome(results, i * TOMBSTONE_STATEMENTS).made);
  if (deleted.length === 0) return 0;
  log("info", "keys.retention_deleted", { count: deleted.length, ids: deleted.map((k) => k.id) });
  await Promise.all(deleted.map((key) => forgetSecrets(env, key, now)));
  return deleted.length;
}

function retentionAudit(key: ApiKeyRow, cutoff: number, retentionDays: number, now: number): AuditRow {
  const revoked = key.revokedAt !== null && key.revokedAt <= cutoff;
  return {
    id: newId("aud"),
    tenantId: key.tenantId,
    actorKeyId: null,
    actorTenantId: null,
    actorEmail: null,
    action: "key.delete",
    targetType: "key",
    targetId: key.id,
    ip: null,
    requestId: null,
    details: { reason: "retention", retentionDays, dead: revoked ? "revoked" : "expired", since: new Date((revoked ? key.revokedAt : key.expiresAt)!).toISOString() },
    at: now,
  };
}

/** The key's object keeps the hashes it was last told; a tombstone's state holds none. */
async function forgetSecrets(env: Env, key: ApiKeyRow, now: number): Promise<void> {
  try {
    // The tombstone as the batch wrote it: revoked (if it was only expired), updated now, no secrets.
    const tombstone = { ...key, updatedAt: now, revokedAt: key.revokedAt ?? now };
    await env.KEY_LIMITER.get(env.KEY_LIMITER.idFromName(key.id)).configure(authStateOfRow(tombstone, []));
  } catch (err) {
    // The key is refused either way (D1 and every cache say revoked or expired); the hashes stay
    // in its object until the next push, which a deleted key never gets. Logged to be seen.
    log("warn", "limiter.configure_failed", { keyId: key.id, error: String(err) });
  }
}
