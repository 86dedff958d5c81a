// Tenant management: platform scope only. Each tenant shows what its traffic cost this month at its
// current price (usage-cost.ts), read for a whole page in one query.
import { eq } from "drizzle-orm";
import { isUniqueViolation } from "../db/errors.ts";
import { newId } from "../db/ids.ts";
import type { Database } from "../db/client.ts";
import { tenants, type TenantRow } from "../db/schema.ts";
import { defineRoute, endpoint, type Endpoint, jsonContent } from "../http/route.ts";
import { Problem } from "../core/problem.ts";
import { IdParam, TenantId } from "../http/schemas.ts";
import { pageOf } from "../http/tenant-scope.ts";
import { publishTenant } from "./publish.ts";
import { networkChanges } from "./access-rules-schemas.ts";
import { auditInsert } from "../http/audit-entry.ts";
import { CreateTenantBody, TenantList, TenantListQuery, TenantSchema, tenantView, UpdateTenantBody } from "./tenant-schemas.ts";
import { monthToDateTokens, tenantUsd } from "./usage-cost.ts";

const createTenant = defineRoute("platform", {
  operationId: "createTenant",
  method: "post",
  path: "/v1/tenants",
  tags: ["Tenants"],
  summary: "Create a tenant",
  request: { body: { required: true, ...jsonContent(CreateTenantBody) } },
  responses: {
    201: { description: "Created", ...jsonContent(TenantSchema) },
    409: { description: "Slug already in use" },
    422: { description: "Invalid body" },
  },
});

const listTenants = defineRoute("platform", {
  operationId: "listTenants",
  method: "get",
  path: "/v1/tenants",
  tags: ["Tenants"],
  summary: "List tenants, newest first",
  request: { query: TenantListQuery },
  responses: { 200: { description: "A page of tenants", ...jsonContent(TenantList) } },
});

const getTenant = defineRoute("platform", {
  operationId: "getTenant",
  method: "get",
  path: "/v1/tenants/{id}",
  tags: ["Tenants"],
  summary: "Get a tenant",
  request: { params: IdParam(TenantId) },
  responses: { 200: { description: "The tenant", ...jsonContent(TenantSchema) }, 404: { description: "No such tenant" } },
});

const updateTenant = defineRoute("platform", {
  operationId: "updateTenant",
  method: "patch",
  path: "/v1/tenants/{id}",
  tags: ["Tenants"],
  summary: "Update a tenant's name, contact, description, plan, limits, price, networks or active flag",
  description:
    "Deactivating a tenant refuses all of its keys (403 tenant-inactive). `allowedIps` and `deniedIps` hold every key of the tenant, on top of each key's own (403 ip-not-allowed); null removes a list. `pricePer1kTokens: null` returns to the plan's price; a new price reprices past traffic too (cost figures are estimates at the current price).",
  request: { params: IdParam(TenantId), body: { required: true, ...jsonContent(UpdateTenantBody) } },
  responses: {
    200: { description: "The updated tenant", ...jsonContent(TenantSchema) },
    404: { description: "No such tenant" },
    409: { description: "A platform key cannot deactivate its own tenant" },
    422: { description: "Invalid body" },
  },
});

const notFound = () => new Problem("not-found", { detail: "No such tenant." });

/** Each row's view with its month-to-date cost, from one grouped query for all of them. */
async function withCosts(db: Database, rows: TenantRow[]) {
  const tokens = await monthToDateTokens(db, rows.map((r) => r.id));
  return rows.map((r) => tenantView(r, tenantUsd(r, tokens.get(r.id) ?? 0)));
}

export const tenantRoutes: Endpoint[] = [
  endpoint(createTenant, async (c) => {
    const body = c.req.valid("json");
    const { db } = c.get("stores");
    const now = Date.now();
    const row: TenantRow = {
      id: newId("ten"),
      name: body.name,
      slug: body.slug,
      plan: body.plan,
      email: body.email ?? null,
      description: body.description ?? null,
      tenantRateLimitCapacity: body.tenantRateLimit?.capacity ?? null,
      tenantRateLimitRefillPerSecond: body.tenantRateLimit?.refillPerSecond ?? null,
      rateLimitCapacity: body.rateLimit?.capacity ?? null,
      rateLimitRefillPerSecond: body.rateLimit?.refillPerSecond ?? null,
      monthlyQuota: body.monthlyQuota ?? null,
      maxKeys: body.maxKeys ?? null,
      pricePer1kTokens: body.pricePer1kTokens ?? null,
      allowedIps: body.allowedIps ?? null,
      deniedIps: body.deniedIps ?? null,
      active: true,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await db.batch([
        db.insert(tenants).values(row),
        auditInsert(c, db, { tenantId: row.id, action: "tenant.create", targetType: "tenant", targetId: row.id, details: body }, now),
      ]);
    } catch (err) {
      if (isUniqueViolation(err, "slug")) throw new Problem("slug-taken", { detail: `The slug '${body.slug}' is taken.` });
      throw err;
    }
    // A new id has no traffic yet.
    return c.json(tenantView(row, 0), 201);
  }),

  endpoint(listTenants, async (c) => {
    const q = c.req.valid("query");
    const { rows: kept, nextCursor } = await pageOf(c, tenants, q, [q.active === undefined ? undefined : eq(tenants.active, q.active)]);
    return c.json({ data: await withCosts(c.get("stores").db, kept), nextCursor }, 200);
  }),

  endpoint(getTenant, async (c) => {
    const { id } = c.req.valid("param");
    const { db } = c.get("stores");
    const row = await db.select().from(tenants).where(eq(tenants.id, id)).get();
    if (!row) throw notFound();
    const [view] = await withCosts(db, [row]);
    return c.json(view!, 200);
  }),

  endpoint(updateTenant, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const stores = c.get("stores");
    const { db } = stores;
    const existing = await db.select().from(tenants).where(eq(tenants.id, id)).get();
    if (!existing) throw notFound();
    if (body.active === false && c.get("principal").key.tenantId === id) {
      throw new Problem("conflict", { detail: "A key cannot deactivate its own tenant; use a key of another platform tenant." });
    }
    const now = Date.now();
    const changes: Partial<TenantRow> = { updatedAt: now };
    if (body.name !== undefined) changes.name = body.name;
    if (body.plan !== undefined) changes.plan = body.plan;
    if (body.active !== undefined) changes.active = body.active;
    if (body.email !== undefined) changes.email = body.email;
    if (body.description !== undefined) changes.description = body.description;
    if (body.rateLimit !== undefined) {
      changes.rateLimitCapacity = body.rateLimit?.capacity ?? null;
      changes.rateLimitRefillPerSecond = body.rateLimit?.refillPerSecond ?? null;
    }
    if (body.tenantRateLimit !== undefined) {
      changes.tenantRateLimitCapacity = body.tenantRateLimit?.capacity ?? null;
      changes.tenantRateLimitRefillPerSecond = body.tenantRateLimit?.refillPerSecond ?? null;
    }
    if (body.monthlyQuota !== undefined) changes.monthlyQuota = body.monthlyQuota;
    if (body.maxKeys !== undefined) changes.maxKeys = body.maxKeys;
    if (body.pricePer1kTokens !== undefined) changes.pricePer1kTokens = body.pricePer1kTokens;
    Object.assign(changes, networkChanges(body));
    const [updated] = await db.batch([
      db.update(tenants).set(changes).where(eq(tenants.id, id)).returning(),
      auditInsert(c, db, { tenantId: id, action: "tenant.update", targetType: "tenant", targetId: id, details: body }, now),
    ]);
    await publishTenant(stores, c.get("defer"), id);
    const [view] = await withCosts(db, [updated[0]!]);
    return c.json(view!, 200);
  }),
];
