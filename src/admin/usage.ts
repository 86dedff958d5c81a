// Usage as the keys' objects flushed it to D1: per key, and per tenant by day and by route.
// Figures lag live traffic by up to USAGE_REPORT_MS + USAGE_FLUSH_DELAY_MS (about 15 s). The
// totals' cost comes from the analytics day rollups over the same days (usage-cost.ts).
import { z } from "@hono/zod-openapi";
import { and, between, eq, sql } from "drizzle-orm";
import { tenants, usageDaily } from "../db/schema.ts";
import { defineRoute, endpoint, type Endpoint } from "../http/route.ts";
import { Problem } from "../core/problem.ts";
import type { Context } from "hono";
import type { AppEnv } from "../http/context.ts";
import { readableTenant } from "../http/tenant-scope.ts";
import { loadKey } from "./key-access.ts";
import { IdParam, iso, KeyId, TenantId } from "../http/schemas.ts";
import { daysCost, daysCostQuery } from "./usage-cost.ts";

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a UTC day, YYYY-MM-DD")
  .refine((d) => {
    const ms = Date.parse(`${d}T00:00:00Z`);
    return !Number.isNaN(ms) && new Date(ms).toISOString().startsWith(d);
  }, "not a calendar day");
const RangeQuery = z.object({
  from: day.optional().openapi({ description: "First UTC day (default: 30 days ago)." }),
  to: day.optional().openapi({ description: "Last UTC day, inclusive (default: today)." }),
});

const Counts = z
  .object({
    requests: z.number(),
    refused: z.number().openapi({ description: "Refused with 429 by the key's limits." }),
    status2xx: z.number(),
    status3xx: z.number(),
    status4xx: z.number(),
    status5xx: z.number(),
  })
  .openapi("UsageCounts");
const Totals = Counts.extend({
  cost: z.number().openapi({ description: "Tokens charged over these days, from the analytics day rollups." }),
  costUsd: z.number().openapi({ description: "Those tokens in USD at each tenant's current price per 1,000 tokens (its own, else its plan's)." }),
  bytes: z.number().openapi({ description: "Bytes of WebSocket messages over these days, both directions, from the analytics day rollups (messages themselves count as requests of WS-IN / WS-OUT routes)." }),
}).openapi("UsageTotals");
const ByDay = Counts.extend({ day: z.string() });
const ByRoute = Counts.extend({ route: z.string().openapi({ example: "GET /v1/keys/:id" }) });

const KeyUsage = z
  .object({
    keyId: z.string(),
    from: z.string(),
    to: z.string(),
    totals: Totals,
    lastUsedAt: z.string().nullable(),
    days: z.array(ByDay),
    routes: z.array(ByRoute),
  })
  .openapi("KeyUsage");
const TenantUsage = z
  .object({
    tenantId: z.string().nullable(),
    from: z.string(),
    to: z.string(),
    totals: Totals,
    days: z.array(ByDay),
    routes: z.array(ByRoute),
  })
  .openapi("TenantUsage");

const keyUsage = defineRoute("admin", {
  operationId: "getKeyUsage",
  method: "get",
  path: "/v1/keys/{id}/usage",
  tags: ["Usage"],
  summary: "A key's usage by day and by route",
  request: { params: IdParam(KeyId), query: RangeQuery },
  responses: { 200: { description: "Usage", content: { "application/json": { schema: KeyUsage } } }, 404: { description: "No such key" } },
});

const tenantUsage = defineRoute("admin", {
  operationId: "getUsage",
  method: "get",
  path: "/v1/usage",
  tags: ["Usage"],
  summary: "The tenant's usage by day and by route",
  description: "Platform keys see every tenant's unless they name one with tenantId; a tenant that does not exist is 404, not zeros.",
  request: { query: RangeQuery.extend({ tenantId: TenantId.optional() }) },
  responses: {
    200: { description: "Usage", content: { "application/json": { schema: TenantUsage } } },
    404: { description: "No such tenant (or, for a tenant's own keys, another tenant)" },
  },
});

const sums = {
  requests: sql<number>`coalesce(sum(${usageDaily.requests}), 0)`,
  refused: sql<number>`coalesce(sum(${usageDaily.refused}), 0)`,
  status2xx: sql<number>`coalesce(sum(${usageDaily.status2xx}), 0)`,
  status3xx: sql<number>`coalesce(sum(${usageDaily.status3xx}), 0)`,
  status4xx: sql<number>`coalesce(sum(${usageDaily.status4xx}), 0)`,
  status5xx: sql<number>`coalesce(sum(${usageDaily.status5xx}), 0)`,
};

function range(q: { from?: string; to?: string }): { from: string; to: string } {
  const to = q.to ?? new Date().toISOString().slice(0, 10);
  const from = q.from ?? new Date(Date.parse(to) - 29 * 86_400_000).toISOString().slice(0, 10);
  if (from > to) throw new Problem("validation-failed", { detail: "from is after to.", extensions: { errors: [{ path: "from", message: "must not be after to" }] } });
  return { from, to };
}

type Range = { from: string; to: string };

async function summarise(c: Context<AppEnv>, where: ReturnType<typeof and>, range: Range, who: { keyId?: string; tenantId?: string | null }) {
  const { db } = c.get("stores");
  const [totals, days, routes, cost] = await db.batch([
    db.select(sums).from(usageDaily).where(where),
    db.select({ day: usageDaily.day, ...sums }).from(usageDaily).where(where).groupBy(usageDaily.day).orderBy(usageDaily.day),
    db.select({ route: usageDaily.route, ...sums }).from(usageDaily).where(where).groupBy(usageDaily.route).orderBy(usageDaily.route),
    daysCostQuery(db, range, who),
  ]);
  return { totals: { ...totals[0]!, ...daysCost(cost) }, days, routes };
}

/**
 * readableTenant(), and a tenant a platform key names must exist: 404, not zeros that read like
 * "no traffic". (A tenant's own key naming another tenant is already the same 404.)
 */
export async function existingReadableTenant(c: Context<AppEnv>, requested: string | undefined): Promise<string | null> {
  const tenantId = readableTenant(c, requested);
  if (tenantId !== null && tenantId !== c.get("principal").key.tenantId) {
    const found = await c.get("stores").db.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId)).get();
    if (!found) throw new Problem("not-found", { detail: "No such tenant." });
  }
  return tenantId;
}

export const usageRoutes: Endpoint[] = [
  endpoint(keyUsage, async (c) => {
    const { key } = await loadKey(c, c.req.valid("param").id);
    const { from, to } = range(c.req.valid("query"));
    const summary = await summarise(c, and(eq(usageDaily.keyId, key.id), between(usageDaily.day, from, to)), { from, to }, { keyId: key.id });
    return c.json({ keyId: key.id, from, to, lastUsedAt: iso(key.lastUsedAt), ...summary }, 200);
  }),

  endpoint(tenantUsage, async (c) => {
    const q = c.req.valid("query");
    const { from, to } = range(q);
    const tenantId = await existingReadableTenant(c, q.tenantId);
    const inRange = between(usageDaily.day, from, to);
    const summary = await summarise(c, tenantId === null ? and(inRange) : and(eq(usageDaily.tenantId, tenantId), inRange), { from, to }, { tenantId });
    return c.json({ tenantId, from, to, ...summary }, 200);
  }),
];
