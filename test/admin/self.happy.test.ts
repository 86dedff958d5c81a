import { beforeAll, describe, expect, it } from "vitest";
import { PERMISSION_SETS } from "../../src/keys/scopes.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

describe("GET /v1/auth/me", () => {
  it("returns the calling key's view and its tenant", async () => {
    const { tenant, admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { name: "me", scopes: ["jobs:report"], description: "origin", rateLimit: { capacity: 3, refillPerSecond: 1 } });
    const res = await call("/v1/auth/me", { key: k.key });
    expect(res.status).toBe(200);
    const me = await json(res);
    const { key: _secret, ...view } = k;
    expect(me.key).toMatchObject({ ...view, updatedAt: expect.any(String), lastUsedAt: expect.toBeOneOf([null, expect.any(String)]) });
    // The month's cost is the tenant routes' (platform scope), not the caller's to read here.
    const { costUsdMonthToDate: _cost, ...tenantView } = tenant;
    expect(me.tenant).toEqual(tenantView);
  });

  it("works through the X-API-Key header too", async () => {
    const { admin, adminId } = await tenantWithAdmin(platform);
    const res = await call("/v1/auth/me", { headers: { "X-API-Key": admin } });
    expect(res.status).toBe(200);
    expect((await json(res)).key.id).toBe(adminId);
  });

  it("a platform key sees the platform tenant", async () => {
    const me = await json(await call("/v1/auth/me", { key: platform }));
    expect(me.key.scopes).toEqual(["platform"]);
    expect(me.tenant).toMatchObject({ slug: "platform", plan: "enterprise", active: true });
  });

  it("during a roll's grace period both secrets resolve to the same key, showing the new secret's parts", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    const rolled = await json(await call(`/v1/keys/${k.id}/roll`, { key: admin, body: { gracePeriodSeconds: 60 } }));
    for (const secret of [k.key, rolled.key]) {
      const me = await json(await call("/v1/auth/me", { key: secret }));
      expect(me.key).toMatchObject({ id: k.id, start: rolled.start, hint: rolled.hint });
    }
  });
});

describe("GET /v1/permission-sets", () => {
  it("lists the presets with their scopes", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const res = await call("/v1/permission-sets", { key: admin });
    expect(res.status).toBe(200);
    const { data } = await json(res);
    const byName = Object.fromEntries(data.map((s: any) => [s.name, s]));
    for (const name of ["read_only", "ingest_pipeline", "full_access"]) {
      expect(byName[name]).toEqual({ name, description: expect.any(String), scopes: [...PERMISSION_SETS[name as keyof typeof PERMISSION_SETS].scopes], resources: null });
    }
    expect(byName.full_access.scopes).toContain("admin");
    for (const set of data) expect(set.scopes).not.toEqual(expect.arrayContaining(["platform"]));
  });

  it("each preset creates a key with exactly its scopes", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const { data } = await json(await call("/v1/permission-sets", { key: admin }));
    for (const set of data) {
      const k = await createKey(admin, { permissionSet: set.name });
      expect(k.scopes).toEqual(set.scopes);
    }
  });
});
