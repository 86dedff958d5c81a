// What /v1/metrics reads: one grouped query per source table, sent to D1 as one batch (one round
// trip, one consistent snapshot). Traffic comes from analytics_day summed over all time: day rows
// are never deleted, so every counter only grows and Prometheus's rate() sees no false resets.
import { and, asc, count, eq, sql } from "drizzle-orm";
import { HISTOGRAM_SIZE } from "../core/latency-histogram.ts";
import { alertRules } from "../db/alerts-schema.ts";
import { analyticsDay, HISTOGRAM_COLUMNS } from "../db/analytics-schema.ts";
import type { Database } from "../db/client.ts";
import { apiKeys, jobs, tenants } from "../db/schema.ts";
import type { PlanName } from "../tenants/plans.ts";

/** One state per key, the first that applies in this order. */
export const KEY_STATES = ["deleted", "revoked", "expired", "disabled", "active"] as const;
export type KeyState = (typeof KEY_STATES)[number];
export const JOB_STATES = jobs.status.enumValues;

export type TrafficRow = {
  tenantId: string;
  route: string;
  outcome: string;
  requests: number;
  cost: number;
  /** WebSocket message bytes; absent reads as 0 (rows built without it, as HTTP traffic has none). */
  bytes?: number;
  latencyMsSum: number;
  /** Requests per latency bucket (not cumulative), as stored. */
  hist: number[];
};

export type MetricsData = {
  traffic: TrafficRow[];
  keys: { tenantId: string; state: KeyState; n: number }[];
  jobs: { status: string; n: number }[];
  alertsFiring: number;
  tenants: { id: string; slug: string; plan: PlanName; pricePer1kTokens: number | null }[];
};

const histogramSums = Object.fromEntries(
  HISTOGRAM_COLUMNS.map((name) => [name, sql<number>`coalesce(sum(${sql.identifier(name)}), 0)`]),
) as Record<string, ReturnType<typeof sql<number>>>;

// expired means expires_at ≤ now, the instant verification refuses the key.
const keyState = (now: number) =>
  sql<KeyState>`CASE
    WHEN ${apiKeys.deletedAt} IS NOT NULL THEN 'deleted'
    WHEN ${apiKeys.revokedAt} IS NOT NULL THEN 'revoked'
    WHEN ${apiKeys.expiresAt} IS NOT NULL AND ${apiKeys.expiresAt} <= ${now} THEN 'expired'
    WHEN ${apiKeys.enabled} = 0 THEN 'disabled'
    ELSE 'active' END`.as("state");

export async function readMetricsData(db: Database, now: number): Promise<MetricsData> {
  const state = keyState(now);
  const [traffic, keys, jobCounts, firing, tenantRows] = await db.batch([
    db
      .select({
        tenantId: analyticsDay.tenantId,
        route: analyticsDay.route,
        outcome: analyticsDay.outcome,
        requests: sql<number>`coalesce(sum(${analyticsDay.requests}), 0)`,
        cost: sql<number>`coalesce(sum(${analyticsDay.cost}), 0)`,
        bytes: sql<number>`coalesce(sum(${analyticsDay.bytes}), 0)`,
        latencyMsSum: sql<number>`coalesce(sum(${analyticsDay.latencyMsSum}), 0)`,
        ...histogramSums,
      })
      .from(analyticsDay)
      .groupBy(analyticsDay.tenantId, analyticsDay.route, analyticsDay.outcome)
      .orderBy(asc(analyticsDay.tenantId), asc(analyticsDay.route), asc(analyticsDay.outcome)),
    db
      .select({ tenantId: apiKeys.tenantId, state, n: count() })
      .from(apiKeys)
      .groupBy(apiKeys.tenantId, sql`state`),
    db.select({ status: jobs.status, n: count() }).from(jobs).groupBy(jobs.status),
    db
      .select({ n: count() })
      .from(alertRules)
      .where(and(eq(alertRules.enabled, true), eq(alertRules.state, "firing"))),
    db
      .select({ id: tenants.id, slug: tenants.slug, plan: tenants.plan, pricePer1kTokens: tenants.pricePer1kTokens })
      .from(tenants)
      .orderBy(asc(tenants.id)),
  ]);
  return {
    traffic: traffic.map((r) => {
      const row = r as unknown as Record<string, number>;
      const hist = Array.from({ length: HISTOGRAM_SIZE }, (_, i) => Number(row[`h${i}`] ?? 0));
      return { tenantId: r.tenantId, route: r.route, outcome: r.outcome, requests: Number(r.requests), cost: Number(r.cost), bytes: Number(r.bytes), latencyMsSum: Number(r.latencyMsSum), hist };
    }),
    keys: keys.map((k) => ({ tenantId: k.tenantId, state: k.state, n: k.n })),
    jobs: jobCounts.map((j) => ({ status: j.status, n: j.n })),
    alertsFiring: firing[0]?.n ?? 0,
    tenants: tenantRows,
  };
}
