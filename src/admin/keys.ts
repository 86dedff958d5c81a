// Key management: create, list, read, update. Revoke and roll live in key-lifecycle.ts.
import { and, desc, eq, isNotNull, isNull, lt, type SQL } from "drizzle-orm";
import { isUniqueViolation } from "../db/errors.ts";
import { newId } from "../db/ids.ts";
import { apiKeys, auditLog, keySecrets, tenants, type ApiKeyRow } from "../db/schema.ts";
import { defineRoute, endpoint, type Endpoint, jsonContent } from "../http/route.ts";
import { Problem } from "../core/problem.ts";
import { insertWhere } from "../db/insert.ts";
import { mintSecret } from "../keys/mint.ts";
import { publishKey } from "./publish.ts";
import { PERMISSION_SETS, permissionSetResources } from "../keys/scopes.ts";
import { rulesOfRow } from "../keys/snapshot.ts";
import { effectiveLimits } from "../tenants/plans.ts";
import { ruleChanges } from "./access-rules-schemas.ts";
import { auditedChange, auditRow } from "../http/audit-entry.ts";
import { newKeyRow, secretRow, underKeyLimit } from "./key-rows.ts";
import { actingTenant, pageOwned } from "../http/tenant-scope.ts";
import { IdParam, KeyId } from "../http/schemas.ts";
import { checkGrantable, checkLimitsWithinTenant, currentSecrets, limitsOf, ensureManageable, ensureNotRevoked, loadKey } from "./key-access.ts";
import {
  CreatedKeySchema,
  CreateKeyBody,
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
    "Returns the secret once, in `key`. Give either `scopes` or a `permissionSet`. `platform` and `*` can only be granted by a platform key to keys of its own tenant, and `jobs:report` in the operator's tenant only by a platform key. `rateLimit` and `monthlyQuota` may only tighten the tenant's limits unless a platform key sets them (403 otherwise). `resources`, `allowedIps` and `deniedIps` are the key's access rules (403 insufficient-resource, ip-not-allowed); a permission set's `resources` apply unless the body gives some.",
  request: { body: { required: true, ...jsonContent(CreateKeyBody) } },
  responses: {
    201: { description: "Created; the body holds the secret, shown this once", ...jsonContent(CreatedKeySchema) },
    404: { description: "No such tenant" },
    409: { description: "Name in use, or the plan's key limit is reached (revoked, deleted and expired keys do not count)" },
    422: { description: "Invalid body" },
  },
});

const listKeys = defineRoute("admin", {
  operationId: "listKeys",
  method: "get",
  path: "/v1/keys",
  tags: ["Keys"],
  summary: "List keys, newest first",
  description: "Deleted keys are left out unless `deleted=true`, which lists only them.",
  request: { query: KeyListQuery },
  responses: { 200: { description: "A page of keys", ...jsonContent(KeyList) } },
});

const getKey = defineRoute("admin", {
  operationId: "getKey",
  method: "get",
  path: "/v1/keys/{id}",
  tags: ["Keys"],
  summary: "Get a key (never its secret)",
  description: "A deleted key is shown as its tombstone: `deletedAt` set, `start` and `hint` null.",
  request: { params: IdParam(KeyId) },
  responses: { 200: { description: "The key", ...jsonContent(KeySchema) }, 404: { description: "No such key" } },
});

const updateKey = defineRoute("admin", {
  operationId: "updateKey",
  method: "patch",
  path: "/v1/keys/{id}",
  tags: ["Keys"],
  summary: "Update a key",
  description:
    "The same grant and limit rules as creation; null removes a limit, an expiry or an access rule. A key holding a cross-tenant power is changed only by a platform key; a secret in its grace period after a roll cannot change its own key (403).",
  request: { params: IdParam(KeyId), body: { required: true, ...jsonContent(UpdateKeyBody) } },
  responses: {
    200: { description: "The updated key", ...jsonContent(KeySchema) },
    404: { description: "No such key" },
    409: { description: "Name in use, the key is revoked or deleted, or a new expiry would bring an expired key back past the plan's key limit" },
    422: { description: "Invalid body" },
  },
});

export const keyRoutes: Endpoint[] = [
  endpoint(createKey, async (c) => {
    const body = c.req.valid("json");
    const stores = c.get("stores");
    const { db } = stores;
    const tenantId = actingTenant(c, body.tenantId);
    const tenant = await db.select().from(tenants).where(eq(tenants.id, tenantId)).get();
    if (!tenant) throw new Problem("not-found", { detail: "No such tenant." });
    const scopes = body.scopes ? [...new Set(body.scopes)] : [...PERMISSION_SETS[body.permissionSet!].scopes];
    checkGrantable(c, tenantId, scopes);
    checkLimitsWithinTenant(c, tenant, body);

    const minted = await mintSecret(body.environment);
    const { prefix, hint } = minted;
    const now = Date.now();
    const key = newKeyRow(
      {
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
        resources: body.resources ?? (body.permissionSet ? permissionSetResources(body.permissionSet) : null),
        allowedIps: body.allowedIps ?? null,
        deniedIps: body.deniedIps ?? null,
        createdBy: c.get("principal").key.keyId,
      },
      now,
    );
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
        details: {
          name: key.name,
          scopes,
          environment: key.environment,
          prefix,
          hint,
          limits: { before: null, after: limitsOf(key) },
          rules: { before: null, after: rulesOfRow(key) },
        },
      },
      now,
    );
    const { d1 } = stores;
    const keyLanded = { sql: "EXISTS (SELECT 1 FROM api_keys WHERE id = ?)", params: [key.id] };
    let results: D1Result[];
    try {
      results = await d1.batch([
        insertWhere(d1, apiKeys, key, underKeyLimit(tenantId, now, maxKeys)),
        insertWhere(d1, keySecrets, secretRow(key.id, minted, now), keyLanded),
        insertWhere(d1, auditLog, audit, keyLanded),
      ]);
    } catch (err) {
      if (isUniqueViolation(err, "api_keys.name")) {
        throw new Problem("key-name-taken", { detail: `A key named '${body.name}' already exists in this tenant.` });
      }
      throw err;
    }
    if (results[0]!.meta.changes === 0) {
      throw new Problem("key-limit-reached", {
        detail: `The tenant's plan allows ${maxKeys} active keys; revoke or delete one, or raise the limit.`,
        extensions: { maxKeys },
      });
    }
    return c.json({ ...keyView(key, minted), key: minted.secret }, 201);
  }),

  endpoint(listKeys, async (c) => {
    const q = c.req.valid("query");
    const { rows: kept, nextCursor } = await pageOwned(c, apiKeys, q, [
      q.enabled === undefined ? undefined : eq(apiKeys.enabled, q.enabled),
      q.environment ? eq(apiKeys.environment, q.environment) : undefined,
      q.revoked === undefined ? undefined : q.revoked ? isNotNull(apiKeys.revokedAt) : isNull(apiKeys.revokedAt),
      q.deleted ? isNotNull(apiKeys.deletedAt) : isNull(apiKeys.deletedAt),
    ]);
    const secrets = await currentSecrets(
      c,
      kept.map((k) => k.id),
    );
    return c.json({ data: kept.map((k) => keyView(k, secrets.get(k.id) ?? null)), nextCursor }, 200);
  }),

  endpoint(getKey, async (c) => {
    const { key, current } = await loadKey(c, c.req.valid("param").id);
    return c.json(keyView(key, current), 200);
  }),

  endpoint(updateKey, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const stores = c.get("stores");
    const { db } = stores;
    const { key, current } = await loadKey(c, id);
    ensureNotRevoked(key);
    ensureManageable(c, key);
    if (body.scopes) checkGrantable(c, key.tenantId, body.scopes);
    const now = Date.now();
    let guard = { sql: "1", params: [] as unknown[] };
    if (body.rateLimit || body.monthlyQuota != null || body.expiresAt !== undefined) {
      const tenant = await db.select().from(tenants).where(eq(tenants.id, key.tenantId)).get();
      if (tenant) checkLimitsWithinTenant(c, tenant, body);
      // An expired key does not count toward the limit, so a new expiry brings it back only if
      // there is room. Checked in the UPDATE itself, as a create's is in its INSERT.
      if (tenant && body.expiresAt !== undefined) {
        const room = underKeyLimit(key.tenantId, now, effectiveLimits(tenant).maxKeys);
        guard = { sql: `(expires_at IS NULL OR expires_at > ? OR ${room.sql})`, params: [now, ...room.params] };
      }
    }
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
    // Rules reach the key's object and caches like a scope change: through publishKey below,
    // with updatedAt as the version the object adopts.
    const rules = ruleChanges(body);
    Object.assign(changes, rules);
    const limitsChanged = body.rateLimit !== undefined || body.monthlyQuota !== undefined;
    const after = { ...key, ...changes };
    const details = {
      ...body,
      ...(limitsChanged ? { limits: { before: limitsOf(key), after: limitsOf(after) } } : {}),
      ...(Object.keys(rules).length > 0 ? { rules: { before: rulesOfRow(key), after: rulesOfRow(after) } } : {}),
    };
    const where = db.update(apiKeys).set(changes).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))).toSQL();
    const update = { sql: `${where.sql} AND ${guard.sql}`, params: [...where.params, ...guard.params] };
    let changed: number;
    try {
      changed = await auditedChange(
        c,
        update,
        { tenantId: key.tenantId, action: "key.update", targetType: "key", targetId: id, details },
        now,
      );
    } catch (err) {
      if (isUniqueViolation(err, "api_keys.name")) {
        throw new Problem("key-name-taken", { detail: `A key named '${body.name}' already exists in this tenant.` });
      }
      throw err;
    }
    if (changed === 0) {
      ensureNotRevoked((await loadKey(c, id)).key); // revoked or deleted meanwhile
      const { maxKeys } = effectiveLimits((await db.select().from(tenants).where(eq(tenants.id, key.tenantId)).get())!);
      throw new Problem("key-limit-reached", { detail: `The key has expired, and the tenant's plan allows ${maxKeys} active keys; revoke or delete one, or raise the limit.`, extensions: { maxKeys } });
    }
    await publishKey(stores, c.get("defer"), id);
    return c.json(keyView(after, current), 200);
  }),
];
