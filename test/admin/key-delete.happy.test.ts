// DELETE /v1/keys/{id}: the key stops working at once, its secrets' hashes are erased, and its row
// stays as a tombstone for the audit trail and its usage.
import { env, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "../../src/keys/hash.ts";
import { auditRowsFor, countRows, waitFor } from "../support/admin.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { limiterStub } from "../support/limits.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const del = (id: string, key: string) => call(`/v1/keys/${id}`, { method: "DELETE", key });

describe("deleting a key", () => {
  it("answers with the tombstone; the key is refused at once; row, audit and usage stay; the secrets go", async () => {
    const { tenant, admin, adminId } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { name: "to-delete", permissionSet: "read_only" });
    expect((await call("/v1/auth/me", { key: k.key })).status).toBe(200);
    await env.DB.prepare("INSERT INTO usage_daily (key_id, tenant_id, day, route, requests, status_2xx) VALUES (?, ?, ?, ?, 7, 7)")
      .bind(k.id, tenant.id, new Date().toISOString().slice(0, 10), "/v1/auth/me")
      .run();

    const res = await del(k.id, admin);
    expect(res.status).toBe(200);
    const tombstone = await json(res);
    expect(tombstone).toMatchObject({ id: k.id, tenantId: tenant.id, name: "to-delete", start: null, hint: null, deletedBy: adminId, revokedBy: adminId, revokeReason: null });
    expect(Date.parse(tombstone.deletedAt)).toBeGreaterThan(0);
    expect(tombstone.revokedAt).toBe(tombstone.deletedAt);
    expect(JSON.stringify(tombstone)).not.toContain(k.key);

    const refused = await call("/v1/auth/me", { key: k.key });
    expect(refused.status).toBe(401);
    expect((await json(refused)).type).toBe("https://keygate.dev/problems/revoked-key");

    expect(await countRows("SELECT count(*) AS n FROM api_keys WHERE id = ? AND deleted_at IS NOT NULL AND revoked_at IS NOT NULL", k.id)).toBe(1);
    expect(await countRows("SELECT count(*) AS n FROM key_secrets WHERE key_id = ?", k.id)).toBe(0);
    expect(await countRows("SELECT count(*) AS n FROM usage_daily WHERE key_id = ?", k.id)).toBe(1);

    const audit = (await auditRowsFor(k.id)).filter((r) => r.action === "key.delete");
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ tenant_id: tenant.id, actor_key_id: adminId, actor_tenant_id: tenant.id, target_type: "key" });
    expect(JSON.parse(audit[0].details)).toEqual({ reason: "requested", wasRevoked: false, secrets: [{ start: k.start, hint: k.hint }] });

    // The tombstone is readable, and so is the usage it leaves.
    expect(await json(await call(`/v1/keys/${k.id}`, { key: admin }))).toEqual(tombstone);
    const usage = await call(`/v1/keys/${k.id}/usage`, { key: admin });
    expect(usage.status).toBe(200);
    expect((await json(usage)).totals.requests).toBe(7);
    // The audit trail of the key is all still there.
    const trail = await json(await call(`/v1/audit?targetId=${k.id}`, { key: admin }));
    expect(trail.data.map((r: any) => r.action)).toEqual(["key.delete", "key.create"]);
  });

  it("erases every secret of a rolled key, keeps who revoked it and why, and the object forgets the hashes", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { permissionSet: "read_only" });
    const rolled = await json(await call(`/v1/keys/${k.id}/roll`, { key: admin, body: { gracePeriodSeconds: 3600 } }));
    for (const secret of [k.key, rolled.key]) expect((await call("/v1/auth/me", { key: secret })).status).toBe(200);
    const revoked = await json(await call(`/v1/keys/${k.id}/revoke`, { key: platform, body: { reason: "leaked in CI" } }));

    const tombstone = await json(await del(k.id, admin));
    expect(tombstone).toMatchObject({ revokedAt: revoked.revokedAt, revokedBy: revoked.revokedBy, revokeReason: "leaked in CI" });
    expect(tombstone.deletedAt).not.toBe(revoked.revokedAt);
    expect(await countRows("SELECT count(*) AS n FROM key_secrets WHERE key_id = ?", k.id)).toBe(0);
    const details = JSON.parse((await auditRowsFor(k.id)).find((r) => r.action === "key.delete").details);
    expect(details.wasRevoked).toBe(true);
    expect(details.secrets).toHaveLength(2);

    const auth = await runInDurableObject(limiterStub(k.id), (_o, state) => state.storage.kv.get<{ revokedAt: number | null; secrets: object }>("auth"));
    expect(auth!.revokedAt).not.toBeNull();
    expect(auth!.secrets).toEqual({});
    for (const secret of [k.key, rolled.key]) expect((await call("/v1/auth/me", { key: secret })).status).toBe(401);
  });

  it("overwrites the KV copy of each former secret with the revoked state", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { permissionSet: "read_only" });
    const hash = await hashKey(k.key);
    expect((await call("/v1/auth/me", { key: k.key })).status).toBe(200);
    await waitFor(() => env.KEY_CACHE.get(`key:${hash}`), "the KV copy");
    expect((await del(k.id, admin)).status).toBe(200);
    const copy = await waitFor(async () => {
      const c = await env.KEY_CACHE.get<{ revokedAt: number | null }>(`key:${hash}`, "json");
      return c?.revokedAt ? c : null;
    }, "the revoked KV copy");
    expect(copy.revokedAt).toBeGreaterThan(0);
  });
});

describe("lists, names and the plan's limit", () => {
  it("lists leave deleted keys out; ?deleted=true lists only them", async () => {
    const { admin, adminId } = await tenantWithAdmin(platform);
    const gone = await createKey(admin, { scopes: ["query"] });
    const revoked = await createKey(admin, { scopes: ["query"] });
    await call(`/v1/keys/${revoked.id}/revoke`, { key: admin, body: {} });
    expect((await del(gone.id, admin)).status).toBe(200);

    const ids = async (query: string) => (await json(await call(`/v1/keys${query}`, { key: admin }))).data.map((k: any) => k.id).sort();
    expect(await ids("")).toEqual([adminId, revoked.id].sort());
    expect(await ids("?deleted=false")).toEqual([adminId, revoked.id].sort());
    expect(await ids("?revoked=true")).toEqual([revoked.id]);
    const deleted = await json(await call("/v1/keys?deleted=true", { key: admin }));
    expect(deleted.data.map((k: any) => k.id)).toEqual([gone.id]);
    expect(deleted.data[0]).toMatchObject({ start: null, hint: null, deletedBy: adminId });
  });

  it("a deleted key's name is free again, and it frees its slot under the plan's limit", async () => {
    const { admin } = await tenantWithAdmin(platform, { plan: "free", maxKeys: 2 });
    const k = await createKey(admin, { name: "ci", scopes: ["query"] });
    expect((await call("/v1/keys", { key: admin, body: { name: "other", scopes: ["query"] } })).status).toBe(409);
    expect((await del(k.id, admin)).status).toBe(200);
    const again = await call("/v1/keys", { key: admin, body: { name: "ci", scopes: ["query"] } });
    expect(again.status).toBe(201);
    expect((await json(again)).id).not.toBe(k.id);
  });

  it("a platform key deletes any tenant's key; a key may delete itself", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    expect((await del(k.id, platform)).status).toBe(200);
    const self = await createKey(admin, { permissionSet: "full_access" });
    expect((await del(self.id, self.key)).status).toBe(200);
    expect((await call("/v1/auth/me", { key: self.key })).status).toBe(401);
  });
});
