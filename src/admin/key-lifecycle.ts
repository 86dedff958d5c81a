// Revoke (permanent) and roll (a new secret; the old one lives until a grace deadline); delete
// (revoke, then erase the secrets) is in key-delete.ts and mounted with them.
import { and, eq, isNull, or, gt } from "drizzle-orm";
import { apiKeys, auditLog, keySecrets } from "../db/schema.ts";
import { insertWhere } from "../db/insert.ts";
import { defineRoute, endpoint, type Endpoint, jsonContent } from "../http/route.ts";
import { log } from "../core/log.ts";
import { mintSecret } from "../keys/mint.ts";
import { publishKey } from "./publish.ts";
import { auditedChange, auditRow } from "../http/audit-entry.ts";
import { keyDeleteRoutes } from "./key-delete.ts";
import { ensureManageable, ensureNotRevoked, loadKey } from "./key-access.ts";
import { secretRow } from "./key-rows.ts";
import { IdParam, iso, KeyId } from "../http/schemas.ts";
import {
  DEFAULT_GRACE_SECONDS,
  KeySchema,
  keyView,
  RevokeKeyBody,
  RolledKeySchema,
  RollKeyBody,
} from "./schemas.ts";

const revokeKey = defineRoute("admin", {
  operationId: "revokeKey",
  method: "post",
  path: "/v1/keys/{id}/revoke",
  tags: ["Keys"],
  summary: "Revoke a key, permanently",
  request: { params: IdParam(KeyId), body: { required: false, ...jsonContent(RevokeKeyBody) } },
  responses: {
    200: { description: "The revoked key", ...jsonContent(KeySchema) },
    404: { description: "No such key" },
    409: { description: "Already revoked" },
  },
});

const rollKey = defineRoute("admin", {
  operationId: "rollKey",
  method: "post",
  path: "/v1/keys/{id}/roll",
  tags: ["Keys"],
  summary: "Issue a new secret for a key",
  description:
    "The key keeps its id, scopes and limits. The previous secret(s) keep working until `gracePeriodSeconds` from now (at most 7 days; 0 ends them at once), for calls, not for changing this key: a secret in its grace period cannot roll, revoke or update its own key (403 rolled-secret).",
  request: { params: IdParam(KeyId), body: { required: false, ...jsonContent(RollKeyBody) } },
  responses: {
    200: { description: "The new secret, shown this once", ...jsonContent(RolledKeySchema) },
    404: { description: "No such key" },
    409: { description: "The key is revoked" },
  },
});

export const keyLifecycleRoutes: Endpoint[] = [
  endpoint(revokeKey, async (c) => {
    const { id } = c.req.valid("param");
    const { reason } = c.req.valid("json");
    const stores = c.get("stores");
    const { db } = stores;
    const { key, current } = await loadKey(c, id);
    if (key.revokedAt !== null) {
      // A retried revoke (perhaps after a failed push) pushes again before it says 409, so an
      // operator answering a leak can always make the revocation stick.
      await publishKey(stores, c.get("defer"), id).catch((err: unknown) => log("error", "key.republish_failed", { keyId: id, error: String(err) }));
      ensureNotRevoked(key);
    }
    ensureManageable(c, key);
    const now = Date.now();
    const caller = c.get("principal").key.keyId;
    const revocation = { revokedAt: now, revokedBy: caller, revokeReason: reason ?? null, updatedAt: now };
    const changed = await auditedChange(
      c,
      db.update(apiKeys).set(revocation).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))).toSQL(),
      { tenantId: key.tenantId, action: "key.revoke", targetType: "key", targetId: id, details: { reason: reason ?? null } },
      now,
    );
    if (changed === 0) ensureNotRevoked({ ...key, revokedAt: now }); // a concurrent revoke won
    await publishKey(stores, c.get("defer"), id);
    return c.json(keyView({ ...key, ...revocation }, current), 200);
  }),

  endpoint(rollKey, async (c) => {
    const { id } = c.req.valid("param");
    // An absent body skips zod, and with it the schema's default.
    const gracePeriodSeconds = c.req.valid("json").gracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
    const stores = c.get("stores");
    const { db } = stores;
    const { key } = await loadKey(c, id);
    ensureNotRevoked(key);
    ensureManageable(c, key);
    const now = Date.now();
    const deadline = now + gracePeriodSeconds * 1000;
    const minted = await mintSecret(key.environment);
    const { prefix, hint } = minted;
    const { d1 } = stores;
    // Every statement holds only while the key is unrevoked when the batch runs: a roll racing a
    // revoke or a delete must not give a dead key a secret, nor leave a hash on a tombstone.
    const live = { sql: "EXISTS (SELECT 1 FROM api_keys WHERE id = ? AND revoked_at IS NULL)", params: [id] };
    const guarded = (q: { sql: string; params: unknown[] }) => d1.prepare(`${q.sql} AND ${live.sql}`).bind(...q.params, ...live.params);
    const results = await d1.batch([
      // Every older secret ends at the deadline, unless it was already due to end sooner.
      guarded(
        db
          .update(keySecrets)
          .set({ expiresAt: deadline })
          .where(and(eq(keySecrets.keyId, id), or(isNull(keySecrets.expiresAt), gt(keySecrets.expiresAt, deadline))))
          .toSQL(),
      ),
      insertWhere(d1, keySecrets, secretRow(id, minted, now), live),
      insertWhere(d1, auditLog, auditRow(c, { tenantId: key.tenantId, action: "key.roll", targetType: "key", targetId: id, details: { gracePeriodSeconds, prefix, hint } }, now), {
        sql: "changes() > 0",
        params: [],
      }),
      guarded(db.update(apiKeys).set({ updatedAt: now }).where(eq(apiKeys.id, id)).toSQL()),
    ]);
    if (results[1]!.meta.changes === 0) {
      // Revoked or deleted meanwhile: say which, and never hand out a secret that was not stored.
      ensureNotRevoked((await loadKey(c, id)).key);
      ensureNotRevoked({ ...key, revokedAt: now });
    }
    await publishKey(stores, c.get("defer"), id);
    return c.json({ ...keyView({ ...key, updatedAt: now }, { prefix, hint }), key: minted.secret, previousSecretExpiresAt: iso(deadline)! }, 200);
  }),

  ...keyDeleteRoutes,
];
