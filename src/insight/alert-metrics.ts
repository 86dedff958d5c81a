// The value of each rule's metric, read from the rollups with few queries: one grouped read of
// analytics_minute per distinct window length (per tenant, so cost can be priced by tenant), plus
// one of analytics_hour per distinct window among usage_anomaly rules. A window that only tenant
// rules use reads only those tenants' rows (index tenant_id, bucket), in chunks that stay under
// D1's 100 bound parameters. Everything goes to D1 as one batch: one round trip.
import { AUTH_FAILURES } from "../analytics/outcome.ts";
import type { AlertRuleRow } from "../db/alerts-schema.ts";
import { pricePer1kTokens, type PlanName } from "../tenants/plans.ts";
import { baselineSpans, BASELINE_DAYS, minuteWindow } from "./alert-window.ts";

export type MeasuredRule = Pick<AlertRuleRow, "id" | "tenantId" | "metric" | "windowMinutes">;

type Totals = { requests: number; authFailures: number; rateLimited: number; errors: number; costUsd: number };
const zero = (): Totals => ({ requests: 0, authFailures: 0, rateLimited: 0, errors: 0, costUsd: 0 });

const TENANTS_PER_QUERY = 80;
const RATE_LIMITED = ["rate_limited", "quota_exceeded"];
// Outcome names are constants of this code base (analytics/outcome.ts), never input.
const list = (names: readonly string[]) => names.map((n) => `'${n.replace(/[^a-z_]/g, "")}'`).join(", ");

const MINUTE_SQL = `SELECT m.tenant_id AS tenantId, t.plan AS plan, t.price_per_1k_tokens AS price,
  SUM(m.requests) AS requests,
  SUM(CASE WHEN m.outcome IN (${list(AUTH_FAILURES)}) THEN m.requests ELSE 0 END) AS authFailures,
  SUM(CASE WHEN m.outcome IN (${list(RATE_LIMITED)}) THEN m.requests ELSE 0 END) AS rateLimited,
  SUM(CASE WHEN m.status_class = 5 THEN m.requests ELSE 0 END) AS errors,
  SUM(m.cost) AS cost
FROM analytics_minute m LEFT JOIN tenants t ON t.id = m.tenant_id
WHERE m.bucket BETWEEN ? AND ?`;

const HOUR_SQL = (days: number) =>
  `SELECT tenant_id AS tenantId, SUM(requests) AS requests FROM analytics_hour
WHERE (${Array.from({ length: days }, () => "bucket BETWEEN ? AND ?").join(" OR ")})`;

type MinuteRow = { tenantId: string; plan: PlanName | null; price: number | null; requests: number; authFailures: number; rateLimited: number; errors: number; cost: number };
type HourRow = { tenantId: string; requests: number };

/** Which tenants' rows a window needs: every tenant's when a platform rule uses it. */
type Need = { all: boolean; tenants: Set<string> };
const need = (map: Map<number, Need>, rule: MeasuredRule) => {
  const n = map.get(rule.windowMinutes) ?? { all: false, tenants: new Set<string>() };
  if (rule.tenantId === null) n.all = true;
  else n.tenants.add(rule.tenantId);
  map.set(rule.windowMinutes, n);
};

function chunks(n: Need): (string[] | null)[] {
  if (n.all) return [null];
  const ids = [...n.tenants];
  const out: string[][] = [];
  for (let i = 0; i < ids.length; i += TENANTS_PER_QUERY) out.push(ids.slice(i, i + TENANTS_PER_QUERY));
  return out;
}

const inTenants = (column: string, ids: string[] | null) => (ids === null ? "" : ` AND ${column} IN (${ids.map(() => "?").join(", ")})`);

export const roundValue = (v: number): number => Math.round(v * 1e6) / 1e6;

/** Each rule's value at `now`, by rule id. */
export async function measure(d1: D1Database, rules: readonly MeasuredRule[], now: number): Promise<Map<string, number>> {
  const minuteNeeds = new Map<number, Need>();
  const hourNeeds = new Map<number, Need>();
  for (const rule of rules) {
    need(minuteNeeds, rule);
    if (rule.metric === "usage_anomaly") need(hourNeeds, rule);
  }

  const reads: { kind: "minute" | "hour"; window: number; stmt: D1PreparedStatement }[] = [];
  for (const [window, n] of minuteNeeds) {
    const w = minuteWindow(now, window);
    for (const ids of chunks(n)) {
      const stmt = d1.prepare(`${MINUTE_SQL}${inTenants("m.tenant_id", ids)} GROUP BY m.tenant_id`).bind(w.firstBucket, w.lastBucket, ...(ids ?? []));
      reads.push({ kind: "minute", window, stmt });
    }
  }
  for (const [window, n] of hourNeeds) {
    const spans = baselineSpans(now, window).days.flatMap((d) => [d.firstHour, d.lastHour]);
    for (const ids of chunks(n)) {
      const stmt = d1.prepare(`${HOUR_SQL(BASELINE_DAYS)}${inTenants("tenant_id", ids)} GROUP BY tenant_id`).bind(...spans, ...(ids ?? []));
      reads.push({ kind: "hour", window, stmt });
    }
  }
  if (reads.length === 0) return new Map();
  const results = await d1.batch(reads.map((r) => r.stmt));

  const current = new Map<number, Map<string, Totals>>();
  const earlier = new Map<number, Map<string, number>>();
  results.forEach((result, i) => {
    const { kind, window } = reads[i]!;
    if (kind === "minute") {
      const byTenant = current.get(window) ?? new Map<string, Totals>();
      for (const r of result.results as MinuteRow[]) {
        const price = r.plan === null ? 0 : pricePer1kTokens({ plan: r.plan, pricePer1kTokens: r.price });
        byTenant.set(r.tenantId, { requests: r.requests, authFailures: r.authFailures, rateLimited: r.rateLimited, errors: r.errors, costUsd: (r.cost / 1000) * price });
      }
      current.set(window, byTenant);
    } else {
      const byTenant = earlier.get(window) ?? new Map<string, number>();
      for (const r of result.results as HourRow[]) byTenant.set(r.tenantId, r.requests);
      earlier.set(window, byTenant);
    }
  });

  const values = new Map<string, number>();
  for (const rule of rules) {
    const t = totalsOf(current.get(rule.windowMinutes), rule.tenantId);
    let value: number;
    switch (rule.metric) {
      case "auth_failures":
        value = t.authFailures;
        break;
      case "rate_limited":
        value = t.rateLimited;
        break;
      case "requests":
        value = t.requests;
        break;
      case "error_rate":
        value = t.requests === 0 ? 0 : t.errors / t.requests;
        break;
      case "cost_usd":
        value = t.costUsd;
        break;
      case "usage_anomaly": {
        const past = sumOf(earlier.get(rule.windowMinutes), rule.tenantId);
        const baseline = (past * baselineSpans(now, rule.windowMinutes).scale) / BASELINE_DAYS;
        value = t.requests / Math.max(1, baseline);
        break;
      }
    }
    values.set(rule.id, roundValue(value));
  }
  return values;
}

/** A tenant rule's tenant's totals, or a platform rule's sum over every tenant (and keyless rows). */
function totalsOf(byTenant: Map<string, Totals> | undefined, tenantId: string | null): Totals {
  if (!byTenant) return zero();
  if (tenantId !== null) return byTenant.get(tenantId) ?? zero();
  const sum = zero();
  for (const t of byTenant.values()) {
    sum.requests += t.requests;
    sum.authFailures += t.authFailures;
    sum.rateLimited += t.rateLimited;
    sum.errors += t.errors;
    sum.costUsd += t.costUsd;
  }
  return sum;
}

function sumOf(byTenant: Map<string, number> | undefined, tenantId: string | null): number {
  if (!byTenant) return 0;
  if (tenantId !== null) return byTenant.get(tenantId) ?? 0;
  let sum = 0;
  for (const n of byTenant.values()) sum += n;
  return sum;
}
