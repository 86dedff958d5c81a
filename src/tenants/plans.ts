/** The slug of the operator's own tenant, created by bootstrap. */
export const PLATFORM_SLUG = "platform";

// Plan defaults. A tenant may override each value; a key may override the rate limit and quota.
// `rateLimit` is each key's own bucket; `tenantRateLimit` the one all of a tenant's keys share,
// five keys' worth, so one busy key never meets it but a tenant's keys together do.
// `maxConnections`: WebSockets one key may hold open at once (the key's object counts them).
export const PLANS = {
  free: { rateLimit: { capacity: 20, refillPerSecond: 10 }, tenantRateLimit: { capacity: 100, refillPerSecond: 50 }, monthlyQuota: 100_000, maxKeys: 5, maxConnections: 5, pricePer1kTokens: 0 },
  pro: {
    rateLimit: { capacity: 200, refillPerSecond: 100 },
    tenantRateLimit: { capacity: 1_000, refillPerSecond: 500 },
    monthlyQuota: 10_000_000,
    maxKeys: 50,
    maxConnections: 100,
    pricePer1kTokens: 0.002,
  },
  enterprise: {
    rateLimit: { capacity: 2_000, refillPerSecond: 1_000 },
    tenantRateLimit: { capacity: 10_000, refillPerSecond: 5_000 },
    monthlyQuota: null,
    maxKeys: 1_000,
    maxConnections: 1_000,
    pricePer1kTokens: 0.001,
  },
} as const;

/** USD per 1,000 tokens of cost: the tenant's own price, else its plan's. */
export function pricePer1kTokens(t: { plan: PlanName; pricePer1kTokens: number | null }): number {
  return t.pricePer1kTokens ?? PLANS[t.plan].pricePer1kTokens;
}

export type PlanName = keyof typeof PLANS;
export const PLAN_NAMES = Object.keys(PLANS) as [PlanName, ...PlanName[]];

export type RateLimit = { capacity: number; refillPerSecond: number };

export type TenantLimitFields = {
  plan: PlanName;
  rateLimitCapacity: number | null;
  rateLimitRefillPerSecond: number | null;
  tenantRateLimitCapacity: number | null;
  tenantRateLimitRefillPerSecond: number | null;
  monthlyQuota: number | null;
  maxKeys: number | null;
};

export function effectiveLimits(t: TenantLimitFields): {
  rateLimit: RateLimit;
  tenantRateLimit: RateLimit;
  monthlyQuota: number | null;
  maxKeys: number;
} {
  const plan = PLANS[t.plan];
  return {
    rateLimit: {
      capacity: t.rateLimitCapacity ?? plan.rateLimit.capacity,
      refillPerSecond: t.rateLimitRefillPerSecond ?? plan.rateLimit.refillPerSecond,
    },
    tenantRateLimit: {
      capacity: t.tenantRateLimitCapacity ?? plan.tenantRateLimit.capacity,
      refillPerSecond: t.tenantRateLimitRefillPerSecond ?? plan.tenantRateLimit.refillPerSecond,
    },
    monthlyQuota: t.monthlyQuota ?? plan.monthlyQuota,
    maxKeys: t.maxKeys ?? plan.maxKeys,
  };
}

/** The override stored as two nullable columns: a rate limit only when both are set. */
export function rateLimitOf(capacity: number | null, refillPerSecond: number | null): RateLimit | null {
  return capacity !== null && refillPerSecond !== null ? { capacity, refillPerSecond } : null;
}
