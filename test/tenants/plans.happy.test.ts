import { describe, expect, it } from "vitest";
import { effectiveLimits, PLANS, rateLimitOf } from "../../src/tenants/plans.ts";

const tenant = { plan: "free" as const, rateLimitCapacity: null, rateLimitRefillPerSecond: null, tenantRateLimitCapacity: null, tenantRateLimitRefillPerSecond: null, monthlyQuota: null, maxKeys: null };

describe("plans", () => {
  it("a tenant without overrides gets its plan's limits", () => {
    // The price and the WebSocket connection limit are the plan's alone: no tenant overrides them.
    const { pricePer1kTokens: _price, maxConnections: _connections, ...limits } = PLANS.free;
    expect(effectiveLimits(tenant)).toEqual(limits);
  });

  it("each override replaces the plan's value alone", () => {
    expect(effectiveLimits({ ...tenant, rateLimitCapacity: 7, maxKeys: 2 })).toEqual({
      rateLimit: { capacity: 7, refillPerSecond: PLANS.free.rateLimit.refillPerSecond },
      tenantRateLimit: PLANS.free.tenantRateLimit,
      monthlyQuota: PLANS.free.monthlyQuota,
      maxKeys: 2,
    });
  });

  it("a stored rate limit is one only when both columns are set", () => {
    expect(rateLimitOf(5, 1)).toEqual({ capacity: 5, refillPerSecond: 1 });
    expect(rateLimitOf(5, null)).toBeNull();
    expect(rateLimitOf(null, 1)).toBeNull();
  });
});
