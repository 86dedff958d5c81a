// A price a tenant cannot have is a 422 naming the field, on create and on update, and changes
// nothing; a tenant's own admin cannot set its price at all (tenants are the platform's).
import { beforeAll, describe, expect, it } from "vitest";
import { countRows, expectProblem, patch } from "../support/admin.ts";
import { call, createTenant, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const BAD = [-0.001, 1000.5, 1e308, "0.5", "free", true, {}, []];

describe("pricePer1kTokens", () => {
  it.each(BAD.map((v) => [JSON.stringify(v), v]))("create with %s: 422, no tenant made", async (_label, price) => {
    const slug = `price-${crypto.randomUUID().slice(0, 8)}`;
    const body = await expectProblem(await call("/v1/tenants", { key: platform, body: { name: "P", slug, pricePer1kTokens: price } }), 422, "validation-failed");
    expect(body.errors.map((e: any) => e.path)).toEqual(["pricePer1kTokens"]);
    expect(await countRows("SELECT count(*) AS n FROM tenants WHERE slug = ?", slug)).toBe(0);
  });

  it.each(BAD.map((v) => [JSON.stringify(v), v]))("update with %s: 422, price and audit unchanged", async (_label, price) => {
    const t = await createTenant(platform, { pricePer1kTokens: 0.4 });
    const body = await expectProblem(await patch(`/v1/tenants/${t.id}`, platform, { pricePer1kTokens: price }), 422, "validation-failed");
    expect(body.errors.map((e: any) => e.path)).toEqual(["pricePer1kTokens"]);
    expect((await json(await call(`/v1/tenants/${t.id}`, { key: platform }))).pricePer1kTokens).toBe(0.4);
    expect(await countRows("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'tenant.update'", t.id)).toBe(0);
  });

  it("the bounds themselves are prices: 0 and 1000", async () => {
    expect((await createTenant(platform, { pricePer1kTokens: 0 })).pricePer1kTokens).toBe(0);
    expect((await createTenant(platform, { pricePer1kTokens: 1000 })).pricePer1kTokens).toBe(1000);
  });

  it("a tenant's own admin key cannot change its price: 403, nothing changed", async () => {
    const { admin, tenant } = await tenantWithAdmin(platform, { plan: "pro" });
    await expectProblem(await patch(`/v1/tenants/${tenant.id}`, admin, { pricePer1kTokens: 0 }), 403, "insufficient-scope");
    expect((await json(await call(`/v1/tenants/${tenant.id}`, { key: platform }))).priceSource).toBe("plan");
  });
});
