// A tenant's price per 1,000 tokens: its own or its plan's, set at creation, changed and reset
// with PATCH (audited like every other field), and what this month's traffic cost at it.
import { beforeAll, describe, expect, it } from "vitest";
import { HOUR_MS } from "../../src/analytics/rollup.ts";
import { monthStart } from "../../src/limits/month.ts";
import { auditRowsFor, patch } from "../support/admin.ts";
import { seed, type Seeded } from "../support/analytics-seed.ts";
import { call, createKey, createTenant, json, platformKey, storeCounts } from "../support/gateway.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

/** `tokens` charged to the tenant now, and 1000 more at the end of last month (not this month's). */
async function traffic(tenantId: string, tokens: number) {
  const keyId = (await createKey(platform, { tenantId, scopes: ["query"] })).id;
  const at = (t: number, cost: number): Seeded => ({ tenantId, keyId, route: "POST /v1/query", outcome: "valid", status: 200, cost, latencyMs: 5, at: t });
  await seed([at(Date.now(), tokens), at(monthStart(Date.now()) - HOUR_MS, 1000)]);
}

describe("pricePer1kTokens", () => {
  it("by default the plan's: free 0, pro 0.002, enterprise 0.001", async () => {
    for (const [plan, price] of [
      ["free", 0],
      ["pro", 0.002],
      ["enterprise", 0.001],
    ] as const) {
      const t = await createTenant(platform, { plan });
      expect(t).toMatchObject({ pricePer1kTokens: price, priceSource: "plan" });
      expect(t.costUsdMonthToDate).toBe(0);
    }
  });

  it("set at creation, changed, and returned to the plan's with null; each change audited with the others", async () => {
    const t = await createTenant(platform, { plan: "pro", pricePer1kTokens: 0.75 });
    expect(t).toMatchObject({ pricePer1kTokens: 0.75, priceSource: "tenant" });
    expect(JSON.parse((await auditRowsFor(t.id))[0].details)).toMatchObject({ pricePer1kTokens: 0.75 });

    const zero = await json(await patch(`/v1/tenants/${t.id}`, platform, { pricePer1kTokens: 0, name: "Free ride" }));
    expect(zero).toMatchObject({ name: "Free ride", pricePer1kTokens: 0, priceSource: "tenant" });
    const reset = await json(await patch(`/v1/tenants/${t.id}`, platform, { pricePer1kTokens: null }));
    expect(reset).toMatchObject({ pricePer1kTokens: 0.002, priceSource: "plan" });
    const planChange = await json(await patch(`/v1/tenants/${t.id}`, platform, { plan: "enterprise" }));
    expect(planChange).toMatchObject({ pricePer1kTokens: 0.001, priceSource: "plan" });

    const updates = (await auditRowsFor(t.id)).filter((r) => r.action === "tenant.update").map((r) => JSON.parse(r.details));
    expect(updates).toEqual([{ pricePer1kTokens: 0, name: "Free ride" }, { pricePer1kTokens: null }, { plan: "enterprise" }]);
  });

  it("costUsdMonthToDate: this UTC month's tokens at the current price, in show, list and update", async () => {
    const own = await createTenant(platform, { plan: "free", pricePer1kTokens: 1 });
    const plan = await createTenant(platform, { plan: "pro" });
    const idle = await createTenant(platform, { plan: "pro" });
    await traffic(own.id, 250);
    await traffic(plan.id, 500);

    const shown = await json(await call(`/v1/tenants/${own.id}`, { key: platform }));
    expect(shown.costUsdMonthToDate).toBe(0.25);
    expect((await json(await call(`/v1/tenants/${plan.id}`, { key: platform }))).costUsdMonthToDate).toBe(0.001);

    const listed = (await json(await call("/v1/tenants?limit=100", { key: platform }))).data;
    const cost = (id: string) => listed.find((t: any) => t.id === id)?.costUsdMonthToDate;
    expect([cost(own.id), cost(plan.id), cost(idle.id)]).toEqual([0.25, 0.001, 0]);

    // A new price reprices the month so far: these are estimates at today's price, not invoices.
    const repriced = await json(await patch(`/v1/tenants/${own.id}`, platform, { pricePer1kTokens: 0.1 }));
    expect(repriced.costUsdMonthToDate).toBe(0.025);
  });

  it("the list costs one query for the whole page, not one per tenant", async () => {
    for (let i = 0; i < 3; i++) await createTenant(platform);
    await call("/v1/tenants?limit=1", { key: platform }); // the key is in this isolate's memory now
    const small = storeCounts(await call("/v1/tenants?limit=1", { key: platform }));
    const large = storeCounts(await call("/v1/tenants?limit=25", { key: platform }));
    expect(large["d1-read"]).toBe(small["d1-read"]);
    expect(large["d1-read"]).toBeLessThanOrEqual(2);
  });

  it("a tenant's own keys see their price in /v1/auth/me (but no cost figure there)", async () => {
    const t = await createTenant(platform, { pricePer1kTokens: 0.3 });
    const k = await createKey(platform, { tenantId: t.id, scopes: ["query"] });
    const me = await json(await call("/v1/auth/me", { key: k.key }));
    expect(me.tenant).toMatchObject({ pricePer1kTokens: 0.3, priceSource: "tenant" });
    expect(me.tenant).not.toHaveProperty("costUsdMonthToDate");
  });
});
