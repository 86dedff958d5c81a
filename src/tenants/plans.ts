/** The slug of the operator's own tenant, created by bootstrap. */
export const PLATFORM_SLUG = "platform";

// Plan defaults. A tenant may override each value; a key may override the rate limit and quota.
export const PLANS = {
  free: { rateLimit: { capacity: 20, refillPerSecond: 10 }, monthlyQuota: 100_000, maxKeys: 5 },
  pro: { rateLimit: { capacity: 200, refillPerSecond: 100 }, monthlyQuota: 10_000_000, maxKeys: 50 },
  enterprise: { rateLimit: { capacity: 2_000, refillPerSecond: 1_000 }, monthlyQuota: null, maxKeys: 1_000 },
} as const;

export type PlanName = keyof typeof PLANS;
export const PLAN_NAMES = Object.keys(PLANS) as [PlanName, ...PlanName[]];

export type RateLimit = { capacity: number; refillPerSecond: number };

export type TenantLimitFields = {
  plan: PlanName;
  rateLimitCapacity: number | null;
  rateLimitRefillPerSecond: number | null;
  monthlyQuota: number | null;
  maxKeys: number | null;
};

export function effectiveLimits(t: TenantLimitFields): {
  rateLimit: RateLimit;
  monthlyQuota: number | null;
  maxKeys: number;
} {
  const plan = PLANS[t.plan];
  return {
    rateLimit: {
      capacity: t.rateLimitCapacity ?? plan.rateLimit.capacity,
      refillPerSecond: t.rateLimitRefillPerSecond ?? plan.rateLimit.refillPerSecond,
    },
    monthlyQuota: t.monthlyQuota ?? plan.monthlyQuota,
    maxKeys: t.maxKeys ?? plan.maxKeys,
  };
}

/** The override stored as two nullable columns: a rate limit only when both are set. */
export function rateLimitOf(capacity: number | null, refillPerSecond: number | null): RateLimit | null {
  return capacity !== null && refillPerSecond !== null ? { capacity, refillPerSecond } : null;
}
