import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "../../src/keys/hash.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { expectProblem, inOneHour, patch, whoAmI } from "../support/admin.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

describe("keys: happy paths", () => {
  it("creates a key, returns the secret once, and the key works", async () => {
    const { tenant, admin } = await tenantWithAdmin(platform);
    const res = await call("/v1/keys", { key: admin, body: { name: "reader", permissionSet: "read_only", description: "dashboards" } });
    expect(res.status).toBe(201);
    const created = await json(res);
    expect(created.key).toMatch(/^kg_live_[0-9A-Za-z]{38}$/);
    expect(created).toMatchObject({ tenantId: tenant.id, name: "reader", scopes: ["jobs:read", "query"], enabled: true, revokedAt: null });
    expect(created.start).toBe(created.key.slice(0, 12));
    expect(created.hint).toBe(created.key.slice(-4));

    const me = await json(await call("/v1/auth/me", { key: created.key }));
    expect(me.key.id).toBe(created.id);
    expect(me.key.key).toBeUndefined();
    expect(JSON.stringify(me)).not.toContain(created.key);

    const fetched = await json(await call(`/v1/keys/${created.id}`, { key: admin }));
    expect(fetched.key).toBeUndefined();
    expect(fetched.name).toBe("reader");
  });

  it("lists with cursor pagination and filters", async () => {
    const { admin } = await tenantWithAdmin(platform);
    for (let i = 0; i < 3; i++) await createKey(admin, { name: `k${i}`, permissionSet: "read_only", environment: i === 2 ? "test" : "live" });
    const first = await json(await call("/v1/keys?limit=2", { key: admin }));
    expect(first.data).toHaveLength(2);
    expect(first.nextCursor).toBeTruthy();
    const second = await json(await call(`/v1/keys?limit=2&cursor=${first.nextCursor}`, { key: admin }));
    expect(second.data).toHaveLength(2); // 3 created + the admin key itself
    expect(second.nextCursor).toBeNull();
    const testOnly = await json(await call("/v1/keys?environment=test", { key: admin }));
    expect(testOnly.data.map((k: any) => k.name)).toEqual(["k2"]);
  });

  it("updates, revokes and rolls", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    const patched = await json(
      await call(`/v1/keys/${k.id}`, { method: "PATCH", key: admin, body: { scopes: ["query", "jobs:read"], rateLimit: { capacity: 5, refillPerSecond: 1 } } }),
    );
    expect(patched.scopes).toEqual(["query", "jobs:read"]);
    // Both forms: the bucket, and the same limit as a rate (5 in 5 s, so 1 per second).
    expect(patched.rateLimit).toEqual({ capacity: 5, refillPerSecond: 1, requests: 1, per: "second" });

    const rolled = await json(await call(`/v1/keys/${k.id}/roll`, { key: admin, body: { gracePeriodSeconds: 3600 } }));
    expect(rolled.key).not.toBe(k.key);
    expect(rolled.id).toBe(k.id);
    // Both secrets work during the grace period.
    expect((await call("/v1/auth/me", { key: k.key })).status).toBe(200);
    expect((await call("/v1/auth/me", { key: rolled.key })).status).toBe(200);

    const revoked = await call(`/v1/keys/${k.id}/revoke`, { key: admin, body: { reason: "leaked in CI log" } });
    expect(revoked.status).toBe(200);
    expect((await json(revoked)).revokeReason).toBe("leaked in CI log");
    expect((await call("/v1/auth/me", { key: rolled.key })).status).toBe(401);
  });
});

describe("keys: create", () => {
  it("stores every field of the body and returns the full view", async () => {
    const { tenant, admin, adminId } = await tenantWithAdmin(platform);
    const expiresAt = inOneHour();
    const res = await call("/v1/keys", {
      key: admin,
      body: {
        name: "  full  ",
        description: "every field",
        scopes: ["query", "jobs:read", "query"],
        environment: "test",
        expiresAt,
        rateLimit: { capacity: 7, refillPerSecond: 0.5 },
        monthlyQuota: 1234,
      },
    });
    expect(res.status).toBe(201);
    const k = await json(res);
    expect(k.key).toMatch(/^kg_test_[0-9A-Za-z]{38}$/);
    expect(k.id).toMatch(/^key_/);
    expect(k).toMatchObject({
      tenantId: tenant.id,
      name: "full",
      description: "every field",
      environment: "test",
      scopes: ["query", "jobs:read"],
      expiresAt: new Date(expiresAt).toISOString(),
      rateLimit: { capacity: 7, refillPerSecond: 0.5 },
      monthlyQuota: 1234,
      enabled: true,
      revokedAt: null,
      revokedBy: null,
      revokeReason: null,
      createdBy: adminId,
      lastUsedAt: null,
    });
    const fetched = await json(await call(`/v1/keys/${k.id}`, { key: admin }));
    const { key: _secret, ...view } = k;
    expect(fetched).toEqual(view);
    // A test-environment key works like a live one.
    expect((await call("/v1/auth/me", { key: k.key })).status).toBe(200);
  });

  it("defaults: live environment, no expiry, no overrides, no description", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { permissionSet: "ingest_pipeline" });
    expect(k).toMatchObject({
      environment: "live",
      scopes: ["jobs:write", "jobs:read"],
      expiresAt: null,
      rateLimit: null,
      monthlyQuota: null,
      description: null,
    });
  });

  it("a platform key creates keys in any tenant via tenantId, and in its own without", async () => {
    const { tenant } = await tenantWithAdmin(platform);
    const inTenant = await createKey(platform, { tenantId: tenant.id, permissionSet: "read_only" });
    expect(inTenant.tenantId).toBe(tenant.id);
    expect((await json(await call("/v1/auth/me", { key: inTenant.key }))).tenant.id).toBe(tenant.id);
    const own = await createKey(platform, { scopes: ["query"] });
    expect(own.tenantId).toBe((await whoAmI(platform)).tenantId);
  });

  it("a revoked key's name can be reused", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const first = await createKey(admin, { name: "ci", scopes: ["query"] });
    await call(`/v1/keys/${first.id}/revoke`, { key: admin, body: {} });
    const second = await createKey(admin, { name: "ci", scopes: ["query"] });
    expect(second.id).not.toBe(first.id);
    // And renaming to it works too, once the live holder is revoked.
    await call(`/v1/keys/${second.id}/revoke`, { key: admin, body: {} });
    const third = await createKey(admin, { name: "other", scopes: ["query"] });
    expect((await json(await patch(`/v1/keys/${third.id}`, admin, { name: "ci" }))).name).toBe("ci");
  });
});

describe("keys: list", () => {
  it("filters by enabled and revoked, and walks every page exactly once", async () => {
    const { admin, adminId } = await tenantWithAdmin(platform);
    const on = await createKey(admin, { name: "on", scopes: ["query"] });
    const off = await createKey(admin, { name: "off", scopes: ["query"] });
    const gone = await createKey(admin, { name: "gone", scopes: ["query"] });
    await patch(`/v1/keys/${off.id}`, admin, { enabled: false });
    await call(`/v1/keys/${gone.id}/revoke`, { key: admin, body: {} });

    const names = async (q: string) => (await json(await call(`/v1/keys?${q}`, { key: admin }))).data.map((k: any) => k.name).sort();
    expect(await names("enabled=false")).toEqual(["off"]);
    expect(await names("revoked=true")).toEqual(["gone"]);
    expect(await names("revoked=false")).toHaveLength(3); // on, off + the admin
    expect(await names("enabled=true&revoked=false")).toHaveLength(2); // on + the admin

    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await json(await call(`/v1/keys?limit=1${cursor ? `&cursor=${cursor}` : ""}`, { key: admin }));
      expect(page.data.length).toBeLessThanOrEqual(1);
      ids.push(...page.data.map((k: any) => k.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(4);
    expect([...ids].sort().reverse()).toEqual(ids); // newest first
    expect(ids.sort()).toEqual([adminId, on.id, off.id, gone.id].sort());
  });

  it("shows each key's current start and hint", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    const rolled = await json(await call(`/v1/keys/${k.id}/roll`, { key: admin, body: {} }));
    const listed = (await json(await call("/v1/keys", { key: admin }))).data.find((x: any) => x.id === k.id);
    expect(listed.start).toBe(rolled.key.slice(0, 12));
    expect(listed.hint).toBe(rolled.key.slice(-4));
  });
});

describe("keys: update", () => {
  it("changes each field, and null clears the nullable ones", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"], description: "d", rateLimit: { capacity: 3, refillPerSecond: 1 }, monthlyQuota: 10 });
    const expiresAt = inOneHour();
    const updated = await json(
      await patch(`/v1/keys/${k.id}`, admin, { name: "renamed", description: "new", expiresAt, monthlyQuota: 99, scopes: ["jobs:read"] }),
    );
    expect(updated).toMatchObject({ id: k.id, name: "renamed", description: "new", expiresAt: new Date(expiresAt).toISOString(), monthlyQuota: 99, scopes: ["jobs:read"] });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(k.updatedAt));
    expect(updated.start).toBe(k.start);

    const cleared = await json(await patch(`/v1/keys/${k.id}`, admin, { description: null, expiresAt: null, rateLimit: null, monthlyQuota: null }));
    expect(cleared).toMatchObject({ name: "renamed", description: null, expiresAt: null, rateLimit: null, monthlyQuota: null, scopes: ["jobs:read"] });
    expect(await json(await call(`/v1/keys/${k.id}`, { key: admin }))).toEqual(cleared);
  });

  it("disabling refuses the key at once (401 disabled-key); enabling restores it", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    expect((await call("/v1/auth/me", { key: k.key })).status).toBe(200); // now cached
    expect((await json(await patch(`/v1/keys/${k.id}`, admin, { enabled: false }))).enabled).toBe(false);
    await expectProblem(await call("/v1/auth/me", { key: k.key }), 401, "disabled-key");
    expect((await json(await patch(`/v1/keys/${k.id}`, admin, { enabled: true }))).enabled).toBe(true);
    expect((await call("/v1/auth/me", { key: k.key })).status).toBe(200);
  });

  it("new scopes take effect at once", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    expect((await call("/v1/keys", { key: k.key })).status).toBe(403);
    await patch(`/v1/keys/${k.id}`, admin, { scopes: ["query", "admin"] });
    expect((await call("/v1/keys", { key: k.key })).status).toBe(200);
    await patch(`/v1/keys/${k.id}`, admin, { scopes: ["query"] });
    expect((await call("/v1/keys", { key: k.key })).status).toBe(403);
  });
});

describe("keys: revoke", () => {
  it("records who, when and why; the key is refused at once (401 revoked-key)", async () => {
    const { admin, adminId } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    expect((await call("/v1/auth/me", { key: k.key })).status).toBe(200);
    const res = await call(`/v1/keys/${k.id}/revoke`, { key: admin, body: { reason: "  rotated  " } });
    expect(res.status).toBe(200);
    const revoked = await json(res);
    expect(revoked).toMatchObject({ id: k.id, revokedBy: adminId, revokeReason: "rotated" });
    expect(revoked.key).toBeUndefined();
    expect(Date.parse(revoked.revokedAt)).toBeGreaterThan(0);
    await expectProblem(await call("/v1/auth/me", { key: k.key }), 401, "revoked-key");
  });

  it("works without a reason, and a key may revoke itself", async () => {
    const { admin, adminId } = await tenantWithAdmin(platform);
    const res = await call(`/v1/keys/${adminId}/revoke`, { key: admin, body: {} });
    expect(res.status).toBe(200);
    expect((await json(res)).revokeReason).toBeNull();
    await expectProblem(await call("/v1/keys", { key: admin }), 401, "revoked-key");
  });

  it("revokes every secret of a rolled key", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    const rolled = await json(await call(`/v1/keys/${k.id}/roll`, { key: admin, body: { gracePeriodSeconds: 3600 } }));
    await call(`/v1/keys/${k.id}/revoke`, { key: admin, body: {} });
    await expectProblem(await call("/v1/auth/me", { key: k.key }), 401, "revoked-key");
    await expectProblem(await call("/v1/auth/me", { key: rolled.key }), 401, "revoked-key");
  });
});

describe("keys: roll", () => {
  it("keeps the key, issues a new secret and reports the old one's deadline", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query", "jobs:read"], rateLimit: { capacity: 4, refillPerSecond: 2 } });
    const before = Date.now();
    const res = await call(`/v1/keys/${k.id}/roll`, { key: admin, body: { gracePeriodSeconds: 120 } });
    expect(res.status).toBe(200);
    const rolled = await json(res);
    expect(rolled).toMatchObject({ id: k.id, name: k.name, scopes: k.scopes, rateLimit: k.rateLimit, tenantId: k.tenantId });
    expect(rolled.key).toMatch(/^kg_live_/);
    expect(rolled.start).toBe(rolled.key.slice(0, 12));
    expect(rolled.hint).toBe(rolled.key.slice(-4));
    const deadline = Date.parse(rolled.previousSecretExpiresAt);
    expect(deadline).toBeGreaterThanOrEqual(before + 120_000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 120_000);

    const fetched = await json(await call(`/v1/keys/${k.id}`, { key: admin }));
    expect(fetched.start).toBe(rolled.start);
    expect(fetched.hint).toBe(rolled.hint);
    for (const s of [k.key, rolled.key]) expect((await json(await call("/v1/auth/me", { key: s }))).key.id).toBe(k.id);
  });

  it("defaults to a 24-hour grace period", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    const rolled = await json(await call(`/v1/keys/${k.id}/roll`, { key: admin, body: {} }));
    expect(Math.abs(Date.parse(rolled.previousSecretExpiresAt) - (Date.now() + 86_400_000))).toBeLessThan(60_000);
    expect((await call("/v1/auth/me", { key: k.key })).status).toBe(200);
  });

  it("gracePeriodSeconds 0 ends the old secret at once (401 expired-key)", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    expect((await call("/v1/auth/me", { key: k.key })).status).toBe(200); // cached before the roll
    const rolled = await json(await call(`/v1/keys/${k.id}/roll`, { key: admin, body: { gracePeriodSeconds: 0 } }));
    await expectProblem(await call("/v1/auth/me", { key: k.key }), 401, "expired-key");
    expect((await call("/v1/auth/me", { key: rolled.key })).status).toBe(200);
  });

  it("a second roll never extends an earlier secret's deadline", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    const first = await json(await call(`/v1/keys/${k.id}/roll`, { key: admin, body: { gracePeriodSeconds: 60 } }));
    const second = await json(await call(`/v1/keys/${k.id}/roll`, { key: admin, body: { gracePeriodSeconds: 604_800 } }));
    const expiry = async (secret: string) =>
      (await env.DB.prepare("SELECT expires_at AS e FROM key_secrets WHERE hash = ?").bind(await hashKey(secret)).first<{ e: number | null }>())!.e;
    expect(await expiry(k.key)).toBe(Date.parse(first.previousSecretExpiresAt));
    expect(await expiry(first.key)).toBe(Date.parse(second.previousSecretExpiresAt));
    expect(await expiry(second.key)).toBeNull();
    for (const s of [k.key, first.key, second.key]) expect((await call("/v1/auth/me", { key: s })).status).toBe(200);
  });

  it("the current secret is the one without a deadline, whatever the clocks said", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    const rolled = await json(await call(`/v1/keys/${k.id}/roll`, { key: admin, body: {} }));
    // A roll served by an isolate whose clock runs behind: the old secret looks newer.
    await env.DB.prepare("UPDATE key_secrets SET created_at = created_at + 60000 WHERE hash = ?").bind(await hashKey(k.key)).run();
    const fetched = await json(await call(`/v1/keys/${k.id}`, { key: admin }));
    expect([fetched.start, fetched.hint]).toEqual([rolled.start, rolled.hint]);
    const listed = (await json(await call("/v1/keys", { key: admin }))).data.find((x: any) => x.id === k.id);
    expect([listed.start, listed.hint]).toEqual([rolled.start, rolled.hint]);
  });
});
