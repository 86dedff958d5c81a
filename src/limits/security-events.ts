// Security events without a write per failed request: the key's object sees every refused use of
// its key in the usage isolates hand it, and turns the first one per key, kind and hour into an
// audit entry, written with its next usage flush.
import type { Outcome } from "../analytics/outcome.ts";
import { floorTo, HOUR_MS, parseSlot, type Rollup } from "../analytics/rollup.ts";
import { insertWhere } from "../db/insert.ts";
import { newId } from "../db/ids.ts";
import { auditLog } from "../db/schema.ts";

export type SecurityEvent = { action: string; at: number; route: string };

/** A deleted key counts as revoked for as long as any cache still knows its secret. */
const WATCHED: Partial<Record<Outcome, string>> = {
  revoked: "key.used_while_revoked",
  expired: "key.used_while_expired",
  disabled: "key.used_while_disabled",
  tenant_inactive: "tenant.used_while_inactive",
};

/** At most this many events wait for a flush; one per kind and hour can hardly get there. */
const MAX_PENDING = 32;

/**
 * Events for the hours `rows` newly reach, given the hour each action was last recorded in
 * (`audited`, updated in place).
 */
export function securityEvents(rows: Rollup, audited: Record<string, number>): SecurityEvent[] {
  const firsts = new Map<string, SecurityEvent>();
  for (const key of Object.keys(rows)) {
    const slot = parseSlot(key);
    const action = WATCHED[slot.outcome];
    if (!action) continue;
    const hour = floorTo(slot.minute, HOUR_MS);
    if ((audited[action] ?? -1) >= hour) continue;
    const id = `${action}|${hour}`;
    const seen = firsts.get(id);
    if (!seen || slot.minute < seen.at) firsts.set(id, { action, at: slot.minute, route: slot.route });
  }
  const events = [...firsts.values()].sort((a, b) => a.at - b.at);
  for (const e of events) audited[e.action] = Math.max(audited[e.action] ?? -1, floorTo(e.at, HOUR_MS));
  return events;
}

export function appendEvents(pending: SecurityEvent[], more: SecurityEvent[]): SecurityEvent[] {
  return [...pending, ...more].slice(-MAX_PENDING);
}

export function eventStatements(db: D1Database, who: { keyId: string; tenantId: string }, events: SecurityEvent[]): D1PreparedStatement[] {
  return events.map((e) =>
    insertWhere(
      db,
      auditLog,
      {
        id: newId("aud"),
        tenantId: who.tenantId,
        actorKeyId: who.keyId,
        actorTenantId: who.tenantId,
        action: e.action,
        targetType: "key",
        targetId: who.keyId,
        ip: null,
        requestId: null,
        details: { firstSeenMinute: new Date(e.at).toISOString(), route: e.route, recordedBy: "key-object" },
        at: e.at,
      },
      { sql: "1", params: [] },
    ),
  );
}
