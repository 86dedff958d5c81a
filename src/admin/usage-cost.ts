// What traffic costs in USD: tokens from the analytics rollups, priced at each tenant's current
// price (its own, else its plan's). The price is read when the figure is asked for, not stored
// with the traffic, so changing a price reprices the past too: these are estimates for operators,
// not invoices. Usage, tenants and the analytics API all price through this file.
import { and, eq, gte, inArray, lt, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Database } from "../db/client.ts";
import { analyticsDay } from "../db/analytics-schema.ts";
import { tenants } from "../db/schema.ts";
import { DAY_MS } from "../analytics/rollup.ts";
import { monthStart } from "../limits/month.ts";
import { PLAN_NAMES, PLANS, pricePer1kTokens, type PlanName } from "../tenants/plans.ts";

// The plan prices as SQL, generated from PLANS (and bound as parameters) so a price lives in one place.
const planPrice = sql.join(
  PLAN_NAMES.map((plan) => sql`WHEN ${plan} THEN ${PLANS[plan].pricePer1kTokens}`),
  sql` `,
);

/**
 * pricePer1kTokens() of the `tenants` row joined to a query; 0 where none is joined (a LEFT JOIN
 * finds no tenant for requests no key could be named for, and those are charged nothing).
 */
export const tenantPriceSql: SQL<number> = sql<number>`coalesce(${tenants.pricePer1kTokens}, CASE ${tenants.plan} ${planPrice} END, 0)`;

/** Σ tokens × USD per 1,000 tokens over the grouped rows; toUsd() turns it into dollars. */
export const pricedTokensSum = (cost: SQLiteColumn): SQL<number> => sql<number>`coalesce(sum(${cost} * ${tenantPriceSql}), 0)`;

/** Float sums of tokens × price carry noise in the last digits; a billionth of a dollar is plenty. */
const roundUsd = (usd: number): number => Math.round(usd * 1e9) / 1e9;

/** USD from a pricedTokensSum(). */
export const toUsd = (pricedTokens: number): number => roundUsd(Number(pricedTokens) / 1000);

/** USD for this many tokens at the tenant's current price. */
export function tenantUsd(tenant: { plan: PlanName; pricePer1kTokens: number | null }, tokens: number): number {
  return roundUsd((tokens * pricePer1kTokens(tenant)) / 1000);
}

const IDS_PER_STATEMENT = 90;

/**
 * Tokens each tenant has been charged this UTC month, from the day rollups: one grouped query for
 * any number of tenants (a page of them), never one per tenant. Tenants without traffic are absent.
 */
export async function monthToDateTokens(db: Database, tenantIds: string[], now = Date.now()): Promise<Map<string, number>> {
  if (tenantIds.length === 0) return new Map();
  // D1 binds at most 100 parameters per statement: the ids go in slices, with the two bounds.
  const slices: string[][] = [];
  for (let i = 0; i < tenantIds.length; i += IDS_PER_STATEMENT) slices.push(tenantIds.slice(i, i + IDS_PER_STATEMENT));
  const query = (ids: string[]) =>
    db
      .select({ tenantId: analyticsDay.tenantId, tokens: sql<number>`coalesce(sum(${analyticsDay.cost}), 0)` })
      .from(analyticsDay)
      .where(and(inArray(analyticsDay.tenantId, ids), gte(analyticsDay.bucket, monthStart(now)), lt(analyticsDay.bucket, monthStart(now, 1))))
      .groupBy(analyticsDay.tenantId);
  const [first, ...rest] = slices.map(query);
  const results = await db.batch([first!, ...rest]);
  return new Map(results.flat().map((r) => [r.tenantId, Number(r.tokens)]));
}

/**
 * The query for tokens, priced tokens and WebSocket bytes over whole UTC days [from, to] (YYYY-MM-DD, inclusive),
 * from the day rollups, for one key or one tenant (every tenant when neither is given); unrun, so
 * it can join a batch. daysCost() reads its row.
 */
export function daysCostQuery(db: Database, days: { from: string; to: string }, who: { keyId?: string; tenantId?: string | null }) {
  const start = Date.parse(`${days.from}T00:00:00Z`);
  const end = Date.parse(`${days.to}T00:00:00Z`) + DAY_MS;
  return db
    .select({ tokens: sql<number>`coalesce(sum(${analyticsDay.cost}), 0)`, priced: pricedTokensSum(analyticsDay.cost), bytes: sql<number>`coalesce(sum(${analyticsDay.bytes}), 0)` })
    .from(analyticsDay)
    .leftJoin(tenants, eq(tenants.id, analyticsDay.tenantId))
    .where(
      and(
        gte(analyticsDay.bucket, start),
        lt(analyticsDay.bucket, end),
        who.keyId === undefined ? undefined : eq(analyticsDay.keyId, who.keyId),
        who.tenantId == null ? undefined : eq(analyticsDay.tenantId, who.tenantId),
      ),
    );
}

export function daysCost(rows: { tokens: number; priced: number; bytes: number }[]): { cost: number; costUsd: number; bytes: number } {
  const row = rows[0];
  return { cost: Number(row?.tokens ?? 0), costUsd: toUsd(row?.priced ?? 0), bytes: Number(row?.bytes ?? 0) };
}
