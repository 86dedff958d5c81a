// Moves a key object's aggregated usage into D1. At-least-once alarms meet exactly-once counting
// through a sequence number: each flush inserts (key_id, seq) into usage_flushes in the same batch
// as the counter updates, so a flush that runs twice fails its second batch as a whole.
import { USAGE_FLUSH_MAX_ROWS } from "./lease-policy.ts";
import { merge, type UsageReport } from "./usage.ts";

type Inflight = { seq: number; report: UsageReport };

export async function flushUsage(db: D1Database, kv: SyncKvStorage, who: { keyId: string; tenantId: string }): Promise<void> {
  let inflight = kv.get<Inflight>("usage:inflight");
  if (!inflight) {
    const pending = kv.get<UsageReport>("usage:pending");
    if (!pending) return;
    inflight = { seq: (kv.get<number>("usage:seq") ?? 0) + 1, report: pending };
    // Persisted before D1 is asked, so a crash in between retries the same seq, not a new one.
    kv.put("usage:inflight", inflight);
    kv.put("usage:seq", inflight.seq);
    kv.delete("usage:pending");
  }
  const { seq, report } = inflight;
  const rows = Object.entries(report.rows).slice(0, USAGE_FLUSH_MAX_ROWS);
  const leftover = Object.entries(report.rows).slice(USAGE_FLUSH_MAX_ROWS);
  const total = rows.reduce((n, [, c]) => n + c.requests, 0);
  const statements = [
    db.prepare("INSERT INTO usage_flushes (key_id, seq, at) VALUES (?, ?, ?)").bind(who.keyId, seq, Date.now()),
    // Only the latest seq can ever be retried (the next is made after it lands): keep one row.
    db.prepare("DELETE FROM usage_flushes WHERE key_id = ? AND seq < ?").bind(who.keyId, seq),
    ...rows.map(([slot, c]) => {
      const [day, route] = slot.split("|") as [string, string];
      return db
        .prepare(
          `INSERT INTO usage_daily (key_id, tenant_id, day, route, requests, refused, status_2xx, status_3xx, status_4xx, status_5xx)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (key_id, day, route) DO UPDATE SET
             requests = requests + excluded.requests, refused = refused + excluded.refused,
             status_2xx = status_2xx + excluded.status_2xx, status_3xx = status_3xx + excluded.status_3xx,
             status_4xx = status_4xx + excluded.status_4xx, status_5xx = status_5xx + excluded.status_5xx`,
        )
        .bind(who.keyId, who.tenantId, day, route, c.requests, c.refused, c.s2xx, c.s3xx, c.s4xx, c.s5xx);
    }),
    db
      .prepare("UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, 0), ?), total_requests = total_requests + ? WHERE id = ?")
      .bind(report.lastUsedAt, total, who.keyId),
  ];
  try {
    await db.batch(statements);
  } catch (err) {
    // Already applied by an earlier run of this flush: nothing to do but forget it.
    if (!String(err).includes("UNIQUE constraint failed: usage_flushes")) throw err;
  }
  kv.delete("usage:inflight");
  if (leftover.length > 0) {
    const rest: UsageReport = { rows: Object.fromEntries(leftover), lastUsedAt: report.lastUsedAt };
    const pending = kv.get<UsageReport>("usage:pending");
    if (pending) merge(rest, pending);
    kv.put("usage:pending", rest);
  }
}
