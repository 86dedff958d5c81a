import { rateView } from "../../src/admin/rate-limits.ts";
import { beforeAll, describe, expect, it } from "vitest";
import { call, createKey, createTenant, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { expectProblem, patch } from "../support/admin.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const uniqueSlug = (base: string) => `${base}-${crypto.randomUUID().slice(0, 8)}`;

describe("tenants: create", () => {
  it("creates a tenant with plan defaults (free unless named)", async () => {
    const slug = uniqueSlug("plain");
    const res = await call("/v1/tenants", { key: platform, body: { name: "  Plain Co  ", slug } });
    expect(res.status).toBe(201);
    const t = await json(res);
    expect(t).toMatchObject({
      id: expect.stringMatching(/^ten_/),
      name: "Plain Co",
      slug,
      plan: "free",
      active: true,
      overrides: { rateLimit: null, monthlyQuota: null, maxKeys: null },
      effective: { rateLimit: { capacity: 20, refillPerSecond: 10 }, monthlyQuota: 100_000, maxKeys: 5 },
    });
    expect(Date.parse(t.createdAt)).toBeGreaterThan(0);
    expect(t.updatedAt).toBe(t.createdAt);
  });

  it("stores overrides, which replace the plan's values in effective", async () => {
    const t = await createTenant(platform, {
      plan: "enterprise",
      rateLimit: { capacity: 50, refillPerSecond: 2.5 },
      monthlyQuota: 777,
      maxKeys: 3,
    });
    expect(t.plan).toBe("enterprise");
    expect(t.overrides).toEqual({ rateLimit: rateView({ capacity: 50, refillPerSecond: 2.5 }), tenantRateLimit: null, monthlyQuota: 777, maxKeys: 3 });
    expect(t.effective).toEqual({ rateLimit: rateView({ capacity: 50, refillPerSecond: 2.5 }), tenantRateLimit: rateView({ capacity: 10_000, refillPerSecond: 5_000 }), monthlyQuota: 777, maxKeys: 3 });
    const fetched = await json(await call(`/v1/tenants/${t.id}`, { key: platform }));
    expect(fetched).toEqual(t);
  });

  it("each plan has its own defaults", async () => {
    const pro = await createTenant(platform, { plan: "pro" });
    expect(pro.effective).toEqual({ rateLimit: rateView({ capacity: 200, refillPerSecond: 100 }), tenantRateLimit: rateView({ capacity: 1_000, refillPerSecond: 500 }), monthlyQuota: 10_000_000, maxKeys: 50 });
    const ent = await createTenant(platform, { plan: "enterprise" });
    expect(ent.effective).toEqual({ rateLimit: rateView({ capacity: 2000, refillPerSecond: 1000 }), tenantRateLimit: rateView({ capacity: 10_000, refillPerSecond: 5_000 }), monthlyQuota: null, maxKeys: 1000 });
  });
});

describe("tenants: read", () => {
  it("gets a tenant by id", async () => {
    const t = await createTenant(platform);
    const res = await call(`/v1/tenants/${t.id}`, { key: platform });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual(t);
  });

  it("lists newest first with limit / cursor / nextCursor, every tenant exactly once", async () => {
    const created = [await createTenant(platform), await createTenant(platform), await createTenant(platform)];
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await call(`/v1/tenants?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { key: platform });
      expect(res.status).toBe(200);
      const page: any = await json(res);
      expect(page.data.length).toBeLessThanOrEqual(2);
      if (page.nextCursor) expect(page.nextCursor).toBe(page.data[page.data.length - 1].id);
      ids.push(...page.data.map((t: any) => t.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    expect(cursor).toBeNull();
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort().reverse()).toEqual(ids);
    for (const t of created) expect(ids).toContain(t.id);

    const first = await json(await call("/v1/tenants?limit=1", { key: platform }));
    expect(first.data).toHaveLength(1);
    expect(first.nextCursor).toBe(first.data[0].id);
  });

  it("the default page holds at most 20, and a full last page ends with a null cursor", async () => {
    const page = await json(await call("/v1/tenants", { key: platform }));
    expect(page.data.length).toBeLessThanOrEqual(20);
    const all = await json(await call("/v1/tenants?limit=100", { key: platform }));
    expect(all.nextCursor).toBeNull();
  });

  it("filters by active", async () => {
    const t = await createTenant(platform);
    await patch(`/v1/tenants/${t.id}`, platform, { active: false });
    const inactive = await json(await call("/v1/tenants?active=false&limit=100", { key: platform }));
    expect(inactive.data.map((x: any) => x.id)).toContain(t.id);
    expect(inactive.data.every((x: any) => x.active === false)).toBe(true);
    const active = await json(await call("/v1/tenants?active=true&limit=100", { key: platform }));
    expect(active.data.map((x: any) => x.id)).not.toContain(t.id);
  });
});

describe("tenants: update", () => {
  it("changes name and plan; effective limits follow the plan", async () => {
    const t = await createTenant(platform, { plan: "free" });
    const res = await patch(`/v1/tenants/${t.id}`, platform, { name: "Renamed", plan: "pro" });
    expect(res.status).toBe(200);
    const updated = await json(res);
    expect(updated).toMatchObject({ id: t.id, slug: t.slug, name: "Renamed", plan: "pro", active: true });
    expect(updated.effective.maxKeys).toBe(50);
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(t.updatedAt));
    expect(await json(await call(`/v1/tenants/${t.id}`, { key: platform }))).toEqual(updated);
  });

  it("sets overrides, and null clears each back to the plan's value", async () => {
    const t = await createTenant(platform, { plan: "pro" });
    const set = await json(
      await patch(`/v1/tenants/${t.id}`, platform, { rateLimit: { capacity: 9, refillPerSecond: 3 }, monthlyQuota: 42, maxKeys: 7 }),
    );
    expect(set.overrides).toEqual({ rateLimit: rateView({ capacity: 9, refillPerSecond: 3 }), tenantRateLimit: null, monthlyQuota: 42, maxKeys: 7 });
    expect(set.effective).toEqual({ rateLimit: rateView({ capacity: 9, refillPerSecond: 3 }), tenantRateLimit: rateView({ capacity: 1_000, refillPerSecond: 500 }), monthlyQuota: 42, maxKeys: 7 });

    // One at a time: clearing one leaves the others alone.
    const noQuota = await json(await patch(`/v1/tenants/${t.id}`, platform, { monthlyQuota: null }));
    expect(noQuota.overrides).toEqual({ rateLimit: rateView({ capacity: 9, refillPerSecond: 3 }), tenantRateLimit: null, monthlyQuota: null, maxKeys: 7 });
    expect(noQuota.effective.monthlyQuota).toBe(10_000_000);

    const cleared = await json(await patch(`/v1/tenants/${t.id}`, platform, { rateLimit: null, maxKeys: null }));
    expect(cleared.overrides).toEqual({ rateLimit: null, tenantRateLimit: null, monthlyQuota: null, maxKeys: null });
    expect(cleared.effective).toEqual({ rateLimit: rateView({ capacity: 200, refillPerSecond: 100 }), tenantRateLimit: rateView({ capacity: 1_000, refillPerSecond: 500 }), monthlyQuota: 10_000_000, maxKeys: 50 });
  });

  it("deactivating refuses the tenant's keys at once (403 tenant-inactive); reactivating restores them", async () => {
    const { tenant, admin } = await tenantWithAdmin(platform);
    const reader = await createKey(admin, { permissionSet: "read_only" });
    // Warm every cache tier with the active tenant first.
    expect((await call("/v1/auth/me", { key: reader.key })).status).toBe(200);
    expect((await call("/v1/keys", { key: admin })).status).toBe(200);

    const off = await patch(`/v1/tenants/${tenant.id}`, platform, { active: false });
    expect(off.status).toBe(200);
    expect((await json(off)).active).toBe(false);
    for (const [key, path] of [
      [reader.key, "/v1/auth/me"],
      [admin, "/v1/keys"],
      [admin, "/v1/auth/me"],
    ] as const) {
      const res = await call(path, { key });
      expect(res.headers.get("www-authenticate")).toBeNull();
      await expectProblem(res, 403, "tenant-inactive");
    }
    // The platform can still see and manage it.
    expect((await json(await call(`/v1/tenants/${tenant.id}`, { key: platform }))).active).toBe(false);
    expect((await call(`/v1/keys?tenantId=${tenant.id}`, { key: platform })).status).toBe(200);

    const on = await patch(`/v1/tenants/${tenant.id}`, platform, { active: true });
    expect((await json(on)).active).toBe(true);
    expect((await call("/v1/auth/me", { key: reader.key })).status).toBe(200);
    expect((await call("/v1/keys", { key: admin })).status).toBe(200);
  });

  it("deactivating one tenant leaves the others alone", async () => {
    const a = await tenantWithAdmin(platform);
    const b = await tenantWithAdmin(platform);
    await patch(`/v1/tenants/${a.tenant.id}`, platform, { active: false });
    await expectProblem(await call("/v1/auth/me", { key: a.admin }), 403, "tenant-inactive");
    expect((await call("/v1/auth/me", { key: b.admin })).status).toBe(200);
    expect((await call("/v1/tenants?limit=1", { key: platform })).status).toBe(200);
  });
});
