// The D1 side of a flush: one rollup becomes upserts into the minute, hour and day tables (each
// row added to, never replaced), so any number of flushes, from any number of objects and
// isolates, sum to the same totals in every table.
import { HISTOGRAM_COLUMNS } from "../db/analytics-schema.ts";
import { addCounts, DAY_MS, emptyCounts, floorTo, HOUR_MS, parseSlot, slotKey, type Counts, type Rollup } from "./rollup.ts";

export const ROLLUP_TABLES = { minute: "analytics_minute", hour: "analytics_hour", day: "analytics_day" } as const;
export type Interval = keyof typeof ROLLUP_TABLES;
export const INTERVAL_MS: Record<Interval, number> = { minute: 60_000, hour: HOUR_MS, day: DAY_MS };

const COLUMNS = ["bucket", "tenant_id", "key_id", "route", "outcome", "status_class", "requests", "cost", "bytes", "latency_ms_sum", ...HISTOGRAM_COLUMNS];
const ADDED = ["requests", "cost", "bytes", "latency_ms_sum", ...HISTOGRAM_COLUMNS];

function upsertSql(table: string): string {
  return `INSERT INTO ${table} (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")})
    ON CONFLICT (bucket, key_id, route, outcome, status_class) DO UPDATE SET ${ADDED.map((c) => `${c} = ${c} + excluded.${c}`).join(", ")}`;
}

/** The rollup re-bucketed to a coarser unit (minute slots → hour or day slots). */
function coarsen(rows: Rollup, unit: number): Rollup {
  const out: Rollup = {};
  for (const [key, counts] of Object.entries(rows)) {
    const slot = parseSlot(key);
    addCounts((out[slotKey({ ...slot, minute: floorTo(slot.minute, unit) })] ??= emptyCounts()), counts);
  }
  return out;
}

export function rollupStatements(db: D1Database, who: { tenantId: string; keyId: string }, rows: Rollup): D1PreparedStatement[] {
  const out: D1PreparedStatement[] = [];
  for (const [interval, table] of Object.entries(ROLLUP_TABLES) as [Interval, string][]) {
    const sql = upsertSql(table);
    const sized = interval === "minute" ? rows : coarsen(rows, INTERVAL_MS[interval]);
    for (const [key, c] of Object.entries(sized)) {
      const s = parseSlot(key);
      out.push(db.prepare(sql).bind(s.minute, who.tenantId, who.keyId, s.route, s.outcome, s.statusClass, ...values(c)));
    }
  }
  return out;
}

// A report persisted by the release before bytes (a key object's inflight flush) has none; D1 refuses undefined.
const values = (c: Counts) => [c.requests, c.cost, c.bytes ?? 0, c.latencyMs, ...c.hist];
