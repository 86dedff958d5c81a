// Key management: create, list, read, update. Revoke and roll live in key-lifecycle.ts.
import type { OpenAPIHono } from "@hono/zod-openapi";
import { and, desc, eq, isNotNull, isNull, lt, type SQL } from "drizzle-orm";
import { isUniqueViolation } from "../db/errors.ts";
import { newId } from "../db/ids.ts";
import { apiKeys, tenants, type ApiKeyRow } from "../db/schema.ts";
import { defineRoute, jsonContent } from "../http/access.ts";
import type { AppEnv } from "../http/context.ts";
import { Problem } from "../http/problem.ts";
import { displayParts, generateKey } from "../keys/format.ts";
import { hashKey } from "../keys/hash.ts";
import { publishKey } from "../keys/lookup.ts";
import { isPlatform, PERMISSION_SETS } from "../keys/scopes.ts";
import { effectiveLimits } from "../tenants/plans.ts";
import { auditedChange, auditInsertWhere, auditRow } from "./audit-entry.ts";
import { actingTenant, checkGrantable, currentSecrets, ensureManageable, ensureNotRevoked, loadKey } from "./key-access.ts";
import { page } from "./paging.ts";
import {
  CreatedKeySchema,
  CreateKeyBody,
  IdParam,
  KeyId,
  KeyList,
  KeyListQuery,
  KeySchema,
  keyView,
  UpdateKeyBody,
} from "./schemas.ts";

const createKey = defineRoute("admin", {
  operationId: "createKey",
  method: "post",
  path: "/v1/keys",
  tags: ["Keys"],
  summary: "Create a key",
  description:
    "Returns the secret once, in `key`. Give either `scopes` or a `permissionSet`. `platform` and `*` can only be granted by a platform key to keys of its own tenant.",
  request: { body: { required: true, ...jsonContent(CreateKeyBody) } },
  responses: {
    201: { description: "Created; the body holds the secret, shown this once", ...jsonContent(CreatedKeySchema) },
    404: { description: "No such tenant" },
    409: { description: "Name in use, or the plan's key limit is reached" },
    422: { description: "Invalid body" },
  },
});

const listKeys = defineRoute("admin", {
  operationId: "listKeys",
  method: "get",
  path: "/v1/keys",
  tags: ["Keys"],
  summary: "List keys, newest first",
  request: { query: KeyListQuery },
  responses: { 200: { description: "A page of keys", ...jsonContent(KeyList) } },
});

const getKey = defineRoute("admin", {
  operationId: "getKey",
  method: "get",
  path: "/v1/keys/{id}",
  tags: ["Keys"],
  summary: "Get a key (never its secret)",
  request: { params: IdParam(KeyId) },
  responses: { 200: { description: "The key", ...jsonContent(KeySchema) }, 404: { description: "No such key" } },
});

const updateKey = defineRoute("admin", {
  operationId: "updateKey",
  method: "patch",
  path: "/v1/keys/{id}",
  tags: ["Keys"],
  summary: "Update a key",
  request: { params: IdParam(KeyId), body: { required: true, ...jsonContent(UpdateKeyBody) } },
  responses: {
    200: { description: "The updated key", ...jsonContent(KeySchema) },
    404: { description: "No such key" },
    409: { description: "Name in use, or the key is revoked" },
    422: { description: "Invalid body" },
  },
});

export function registerKeyRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(createKey, async (c) => {
    const body = c.req.valid("json");
    const stores = c.get("stores");
    const { db } = stores;
    const tenantId = actingTenant(c, body.tenantId);
    const tenant = await db.select().from(tenants).where(eq(tenants.id, tenantId)).get();
    if (!tenant) throw new Problem("not-found", { detail: "No such tenant." });
    const scopes = body.scopes ? [...new Set(body.scopes)] : [...PERMISSION_SETS[body.permissionSet!].scopes];
    checkGrantable(c, tenantId, scopes);

    const secret = generateKey(body.environment);
    const hash = await hashKey(secret);
    const { prefix, hint } = displayParts(secret);
    const now = Date.now();
    const key: ApiKeyRow = {
      id: newId("key"),
      tenantId,
      name: body.name,
      description: body.description ?? null,
      environment: body.environment,
      scopes,
      rateLimitCapacity: body.rateLimit?.capacity ?? null,
      rateLimitRefillPerSecond: body.rateLimit?.refillPerSecond ?? null,
      monthlyQuota: body.monthlyQuota ?? null,
      expiresAt: body.expiresAt ? Date.parse(body.expiresAt) : null,
      enabled: true,
      revokedAt: null,
      revokedBy: null,
      revokeReason: null,
      createdAt: now,
      createdBy: c.get("principal").key.keyId,
      updatedAt: now,
      lastUsedAt: null,
      totalRequests: 0,
    };
    const { maxKeys } = effectiveLimits(tenant);
    // One batch, one transaction. The key row is inserted only while the tenant is under its
    // plan's limit (checked inside the INSERT, so two racing creates cannot both pass), and the
    // secret and audit rows only if the key row went in.
    const audit = auditRow(
      c,
      {
        tenantId,
        action: "key.create",
        targetType: "key",
        targetId: key.id,
        details: { name: key.name, scopes, environment: key.environment, prefix, hint },
      },
      now,
    );
    const { d1 } = stores;
    const keyExists = "EXISTS (SELECT 1 FROM api_keys WHERE id = ?)";
    let results: D1Result[];
    try {
      results = await d1.batch([
        d1
          .prepare(
            `INSERT INTO api_keys (id, tenant_id, name, description, environment, scopes, rate_limit_capacity,
               rate_limit_refill_per_second, monthly_quota, expires_at, enabled, created_at, created_by, updated_at)
             SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?
             WHERE (SELECT count(*) FROM api_keys WHERE tenant_id = ? AND revoked_at IS NULL) < ?`,
          )
          .bind(key.id, tenantId, key.name, key.description, key.environment, JSON.stringify(scopes), key.rateLimitCapacity,
            key.rateLimitRefillPerSecond, key.monthlyQuota, key.expiresAt, now, key.createdBy, now, tenantId, maxKeys),
        d1
          .prepare(`INSERT INTO key_secrets (hash, key_id, prefix, hint, created_at) SELECT ?, ?, ?, ?, ? WHERE ${keyExists}`)
          .bind(hash, key.id, prefix, hint, now, key.id),
        auditInsertWhere(d1, audit, { sql: keyExists, params: [key.id] }),
      ]);
    } catch (err) {
      if (isUniqueViolation(err, "api_keys.name")) {
        throw new Problem("key-name-taken", { detail: `A key named '${body.name}' already exists in this tenant.` });
      }
      throw err;
    }
    if (results[0]!.meta.changes === 0) {
      throw new Problem("key-limit-reached", {
        detail: `The tenant's plan allows ${maxKeys} active keys; revoke one or raise the limit.`,
        extensions: { maxKeys },
      });
    }
    return c.json({ ...keyView(key, { prefix, hint }), key: secret }, 201);
  });

  app.openapi(listKeys, async (c) => {
    const q = c.req.valid("query");
    const { db } = c.get("stores");
    const where: SQL[] = [];
    // A platform key sees every tenant unless it names one; anyone else sees only its own.
    const { key: caller } = c.get("principal");
    if (q.tenantId !== undefined) where.push(eq(apiKeys.tenantId, actingTenant(c, q.tenantId)));
    else if (!isPlatform(caller.scopes)) where.push(eq(apiKeys.tenantId, caller.tenantId));
    if (q.cursor) where.push(lt(apiKeys.id, q.cursor));
    if (q.enabled !== undefined) where.push(eq(apiKeys.enabled, q.enabled));
    if (q.environment) where.push(eq(apiKeys.environment, q.environment));
    if (q.revoked !== undefined) where.push(q.revoked ? isNotNull(apiKeys.revokedAt) : isNull(apiKeys.revokedAt));
    const rows = await db
      .select()
      .from(apiKeys)
      .where(and(...where))
      .orderBy(desc(apiKeys.id))
      .limit(q.limit + 1)
      .all();
    const { rows: kept, nextCursor } = page(rows, q.limit);
    const secrets = await currentSecrets(
      c,
      kept.map((k) => k.id),
    );
    return c.json({ data: kept.map((k) => keyView(k, secrets.get(k.id) ?? { prefix: "", hint: "" })), nextCursor }, 200);
  });

  app.openapi(getKey, async (c) => {
    const { key, current } = await loadKey(c, c.req.valid("param").id);
    return c.json(keyView(key, current), 200);
  });

  app.openapi(updateKey, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const stores = c.get("stores");
    const { db } = stores;
    const { key, current } = await loadKey(c, id);
    ensureNotRevoked(key);
    ensureManageable(c, key);
    if (body.scopes) checkGrantable(c, key.tenantId, body.scopes);
    const now = Date.now();
    const changes: Partial<ApiKeyRow> = { updatedAt: now };
    if (body.name !== undefined) changes.name = body.name;
    if (body.description !== undefined) changes.description = body.description;
    if (body.scopes !== undefined) changes.scopes = [...new Set(body.scopes)];
    if (body.enabled !== undefined) changes.enabled = body.enabled;
    if (body.expiresAt !== undefined) changes.expiresAt = body.expiresAt === null ? null : Date.parse(body.expiresAt);
    if (body.rateLimit !== undefined) {
      changes.rateLimitCapacity = body.rateLimit?.capacity ?? null;
      changes.rateLimitRefillPerSecond = body.rateLimit?.refillPerSecond ?? null;
    }
    if (body.monthlyQuota !== undefined) changes.monthlyQuota = body.monthlyQuota;
    const update = db.update(apiKeys).set(changes).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))).toSQL();
    let changed: number;
    try {
      changed = await auditedChange(
        c,
        update,
        { tenantId: key.tenantId, action: "key.update", targetType: "key", targetId: id, details: body },
        now,
      );
    } catch (err) {
      if (isUniqueViolation(err, "api_keys.name")) {
        throw new Problem("key-name-taken", { detail: `A key named '${body.name}' already exists in this tenant.` });
      }
      throw err;
    }
    if (changed === 0) ensureNotRevoked({ ...key, revokedAt: now }); // revoked meanwhile
    const updated = { ...key, ...changes };
    await publishKey(stores, c.get("defer"), id);
    return c.json(keyView(updated, current), 200);
  });
}
