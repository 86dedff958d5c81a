// Retention: the cron sweep deletes keys that were revoked or expired KEY_RETENTION_DAYS (90 in
// wrangler.toml) ago, as DELETE /v1/keys/{id} does, and the audit log says it was retention.
import { env, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { RETENTION_BATCH } from "../../src/jobs/key-retention.ts";
import { sweep } from "../../src/jobs/sweep.ts";
import { auditRowsFor, countRows, inOneHour } from "../support/admin.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { limiterStub } from "../support/limits.ts";

const DAY = 86_400_000;
let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

/** Sweeps until a run deletes nothing (one run deletes at most RETENTION_BATCH keys). */
async function sweepAll(now: number, e: Env = env): Promise<number> {
  let total = 0;
  for (;;) {
    const { deletedKeys } = await sweep(e, now);
    total += deletedKeys;
    if (deletedKeys === 0) return total;
  }
}

const secretsOf = (id: string) => countRows("SELECT count(*) AS n FROM key_secrets WHERE key_id = ?", id);

describe("the retention sweep", () => {
  it("deletes keys revoked or expired more than 90 days ago; younger dead keys and live keys stay", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const revoked = await createKey(admin, { scopes: ["query"] });
    const expired = await createKey(admin, { scopes: ["query"], expiresAt: inOneHour() });
    const live = await createKey(admin, { scopes: ["query"] });
    const later = await createKey(admin, { scopes: ["query"], expiresAt: new Date(Date.now() + 30 * DAY).toISOString() });
    expect((await call("/v1/auth/me", { key: revoked.key })).status).toBe(200);
    expect((await call(`/v1/keys/${revoked.id}/revoke`, { key: admin, body: { reason: "rotated" } })).status).toBe(200);

    // 89 days on: nothing is due yet.
    await sweepAll(Date.now() + 89 * DAY);
    for (const k of [revoked, expired, live, later]) expect(await secretsOf(k.id)).toBe(1);

    // 91 days on: the revoked key and the one that expired an hour after creation are due.
    await sweepAll(Date.now() + 91 * DAY);
    for (const k of [revoked, expired]) {
      expect(await secretsOf(k.id)).toBe(0);
      const tombstone = await json(await call(`/v1/keys/${k.id}`, { key: admin }));
      expect(tombstone).toMatchObject({ start: null, hint: null, deletedBy: null });
      expect(tombstone.deletedAt).not.toBeNull();
      expect(tombstone.revokedAt).not.toBeNull();
    }
    for (const k of [live, later]) expect(await secretsOf(k.id)).toBe(1);
    expect((await json(await call(`/v1/keys/${revoked.id}`, { key: admin }))).revokeReason).toBe("rotated");
    expect((await call("/v1/auth/me", { key: live.key })).status).toBe(200);
  });

  it("writes one key.delete audit row per key, with no actor and details saying retention", async () => {
    const { tenant, admin } = await tenantWithAdmin(platform);
    const revoked = await createKey(admin, { scopes: ["query"] });
    const expired = await createKey(admin, { scopes: ["query"], expiresAt: inOneHour() });
    await call(`/v1/keys/${revoked.id}/revoke`, { key: admin, body: {} });
    await sweepAll(Date.now() + 100 * DAY);
    await sweepAll(Date.now() + 200 * DAY); // a later run finds nothing more to do with them
    for (const [k, dead] of [
      [revoked, "revoked"],
      [expired, "expired"],
    ] as const) {
      const rows = (await auditRowsFor(k.id)).filter((r) => r.action === "key.delete");
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ tenant_id: tenant.id, actor_key_id: null, actor_tenant_id: null, ip: null, request_id: null, target_type: "key" });
      expect(JSON.parse(rows[0].details)).toEqual({ reason: "retention", retentionDays: 90, dead, since: expect.any(String) });
    }
    const audit = await json(await call(`/v1/audit?action=key.delete&targetId=${expired.id}`, { key: admin }));
    expect(audit.data).toHaveLength(1);
    expect(audit.data[0].actorKeyId).toBeNull();
  });

  it("the key's object forgets the secrets' hashes too, and the key stays refused", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    expect((await call("/v1/auth/me", { key: k.key })).status).toBe(200);
    await call(`/v1/keys/${k.id}/revoke`, { key: admin, body: {} });
    const before = await runInDurableObject(limiterStub(k.id), (_o, s) => s.storage.kv.get<{ secrets: object }>("auth"));
    expect(Object.keys(before!.secrets)).toHaveLength(1);
    await sweepAll(Date.now() + 91 * DAY);
    const after = await runInDurableObject(limiterStub(k.id), (_o, s) => s.storage.kv.get<{ revokedAt: number | null; secrets: object }>("auth"));
    expect(after).toMatchObject({ revokedAt: expect.any(Number), secrets: {} });
    expect((await call("/v1/auth/me", { key: k.key })).status).toBe(401);
  });

  it(`works through a backlog ${RETENTION_BATCH} keys per run`, async () => {
    const { tenant } = await tenantWithAdmin(platform, { plan: "enterprise" });
    const n = RETENTION_BATCH + 5;
    const long = Date.now() - 200 * DAY;
    await env.DB.batch(
      Array.from({ length: n }, (_, i) =>
        env.DB.prepare(
          "INSERT INTO api_keys (id, tenant_id, name, environment, scopes, enabled, revoked_at, created_at, updated_at, total_requests) VALUES (?, ?, ?, 'live', '[\"query\"]', 1, ?, ?, ?, 0)",
        ).bind(`key_backlog${String(i).padStart(8, "0")}${tenant.id.slice(4, 12)}`, tenant.id, `old-${i}`, long, long, long),
      ),
    );
    const dead = () => countRows("SELECT count(*) AS n FROM api_keys WHERE tenant_id = ? AND revoked_at IS NOT NULL AND deleted_at IS NULL", tenant.id);
    expect(await dead()).toBe(n);
    const first = await sweep(env);
    expect(first.deletedKeys).toBe(RETENTION_BATCH);
    await sweepAll(Date.now());
    expect(await dead()).toBe(0);
    expect(await countRows("SELECT count(*) AS n FROM audit_log WHERE tenant_id = ? AND action = 'key.delete'", tenant.id)).toBe(n);
  });
});
