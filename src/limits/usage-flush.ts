// Moves a key object's aggregated usage into D1: the analytics rollups (minute, hour, day), the
// per-day usage summary, the key's last use, and any security events. At-least-once alarms meet
// exactly-once counting through a sequence number: each flush inserts (key_id, seq) into
// usage_flushes in the same batch as the counter updates, so a flush that runs twice fails its
// second batch as a whole.
import { rollupStatements } from "../analytics/rollup-statements.ts";
import { parseSlot, type Rollup } from "../analytics/rollup.ts";
import { USAGE_FLUSH_MAX_ROWS } from "./lease-policy.ts";
import { eventStatements, type SecurityEvent } from "./security-events.ts";
import { log } from "../core/log.ts";
import { AUTH_REFUSED } from "../analytics/outcome.ts";
import { merge, upgradeReport, type UsageReport } from "./usage.ts";

type Inflight = { seq: number; report: UsageReport; events?: SecurityEvent[] };
type Who = { keyId: string; tenantId: string };

export async function flushUsage(db: D1Database, kv: SyncKvStorage, who: Who): Promise<void> {
  let inflight = kv.get<Inflight>("usage:inflight");
  if (!inflight) {
    const pending = kv.get<UsageReport>("usage:pending");
    const events = kv.get<SecurityEvent[]>("usage:events") ?? [];
    if (!pending && events.length === 0) return;
    inflight = { seq: (kv.get<number>("usage:seq") ?? 0) + 1, report: pending ? upgradeReport(pending) : { rows: {}, lastUsedAt: 0 }, events };
    // Persisted before D1 is asked, so a crash in between retries the same seq, not a new one.
    kv.put("usage:inflight", inflight);
    kv.put("usage:seq", inflight.seq);
    kv.delete("usage:pending");
    kv.delete("usage:events");
  }
  const { seq } = inflight;
  const report = upgradeReport(inflight.report);
  const entries = Object.entries(report.rows);
  const rows: Rollup = Object.fromEntries(entries.slice(0, USAGE_FLUSH_MAX_ROWS));
  const leftover = entries.slice(USAGE_FLUSH_MAX_ROWS);
  const total = Object.entries(rows).reduce((n, [slot, c]) => n + (counted(slot) ? c.requests : 0), 0);
  const statements = [
    db.prepare("INSERT INTO usage_flushes (key_id, seq, at) VALUES (?, ?, ?)").bind(who.keyId, seq, Date.now()),
    // Only the latest seq can ever be retried (the next is made after it lands): keep one row.
    db.prepare("DELETE FROM usage_flushes WHERE key_id = ? AND seq < ?").bind(who.keyId, seq),
    ...rollupStatements(db, who, rows),
    ...dailyStatements(db, who, rows),
    ...eventStatements(db, who, inflight.events ?? []),
    db
      // A report of refusals only has lastUsedAt 0: the key was not used, so a NULL stays NULL.
      .prepare("UPDATE api_keys SET last_used_at = nullif(max(coalesce(last_used_at, 0), ?), 0), total_requests = total_requests + ? WHERE id = ?")
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

/**
 * Usage (usage_daily, total_requests) counts what a key did; a request refused at authentication
 * for the key's own state (revoked, expired, disabled, an inactive tenant) is in the analytics
 * rollups and the audit log's security events, not in its usage.
 */
const counted = (slot: string) => !AUTH_REFUSED.includes(parseSlot(slot).outcome);

/** Batches per alarm: a busy key's backlog drains in one run rather than one batch per 10 s. */
const FLUSHES_PER_ALARM = 4;
/** A batch that fails this often is set aside (logged), so one bad batch cannot stop a key's counting. */
const MAX_FAILED_FLUSHES = 8;
const MAX_RETRY_MS = 600_000;

/**
 * The key object's alarm: flushes until nothing waits (or FLUSHES_PER_ALARM), and says when to run
 * again (null: nothing waits). A failure is retried with backoff by the object itself, not by the
 * runtime's few alarm retries, so a long D1 outage delays counts but never strands them.
 */
export async function drainUsage(db: D1Database, kv: SyncKvStorage, who: Who, delayMs: number): Promise<number | null> {
  const waiting = () => kv.get("usage:inflight") !== undefined || kv.get("usage:pending") !== undefined || kv.get("usage:events") !== undefined;
  try {
    for (let i = 0; i < FLUSHES_PER_ALARM && waiting(); i++) await flushUsage(db, kv, who);
    kv.delete("usage:failures");
  } catch (err) {
    const failures = (kv.get<number>("usage:failures") ?? 0) + 1;
    log("error", "usage.flush_failed", { keyId: who.keyId, failures, error: String(err) });
    if (failures < MAX_FAILED_FLUSHES) {
      kv.put("usage:failures", failures);
      return Math.min(MAX_RETRY_MS, delayMs * 2 ** failures);
    }
    const aside = kv.get<Inflight>("usage:inflight");
    log("error", "usage.flush_set_aside", { keyId: who.keyId, seq: aside?.seq, rows: aside ? Object.keys(aside.report.rows).length : 0 });
    kv.delete("usage:inflight");
    kv.delete("usage:failures");
  }
  return waiting() ? delayMs : null;
}

type Daily = { requests: number; refused: number; s: [number, number, number, number] };

/** usage_daily (GET /v1/usage): the same counts by UTC day and route, 429s and status classes. */
function dailyStatements(db: D1Database, who: Who, rows: Rollup): D1PreparedStatement[] {
  const days = new Map<string, Daily>();
  for (const [key, c] of Object.entries(rows)) {
    if (!counted(key)) continue;
    const slot = parseSlot(key);
    const id = `${new Date(slot.minute).toISOString().slice(0, 10)}|${slot.route}`;
    let d = days.get(id);
    if (!d) days.set(id, (d = { requests: 0, refused: 0, s: [0, 0, 0, 0] }));
    d.requests += c.requests;
    if (slot.outcome === "rate_limited" || slot.outcome === "quota_exceeded") d.refused += c.requests;
    d.s[Math.min(3, Math.max(0, slot.statusClass - 2))]! += c.requests;
  }
  return [...days].map(([id, d]) => {
    const [day, ...route] = id.split("|");
    return db
      .prepare(
        `INSERT INTO usage_daily (key_id, tenant_id, day, route, requests, refused, status_2xx, status_3xx, status_4xx, status_5xx)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (key_id, day, route) DO UPDATE SET
           requests = requests + excluded.requests, refused = refused + excluded.refused,
           status_2xx = status_2xx + excluded.status_2xx, status_3xx = status_3xx + excluded.status_3xx,
           status_4xx = status_4xx + excluded.status_4xx, status_5xx = status_5xx + excluded.status_5xx`,
      )
      .bind(who.keyId, who.tenantId, day, route.join("|"), d.requests, d.refused, ...d.s);
  });
}
