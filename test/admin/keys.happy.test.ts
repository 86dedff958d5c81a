import { beforeAll, describe, expect, it } from "vitest";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../helpers.ts";

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
    expect(patched.rateLimit).toEqual({ capacity: 5, refillPerSecond: 1 });

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
