// Rate limits on the wire. People state them as "60 requests per minute"; the buckets run on a
// capacity and a refill rate. Both forms are accepted, and responses show both.
import { z } from "@hono/zod-openapi";
import type { RateLimit } from "../tenants/plans.ts";

const PER_SECONDS = { second: 1, minute: 60, hour: 3_600, day: 86_400 } as const;
type Per = keyof typeof PER_SECONDS;
const PERS = Object.keys(PER_SECONDS) as [Per, ...Per[]];

const capacity = z.number().int().min(1).max(1_000_000).openapi({ description: "Bucket size: the largest burst.", example: 20 });
// One request a day is the slowest a bucket may refill: its window (capacity ÷ refill) stays a day
// for a capacity of one.
const refillPerSecond = z.number().min(1 / 86_400).max(100_000).openapi({ description: "Tokens added per second.", example: 10 });

/**
 * A rate limit as a client may send it: `{capacity, refillPerSecond}`, or `{requests, per}` with
 * per one of second, minute, hour, day, read as a bucket of `requests` that refills in one `per`.
 * One object rather than a union, so that a missing or mixed field is named in the 422.
 */
export const RateLimitSchema = z
  .object({
    capacity: capacity.optional(),
    refillPerSecond: refillPerSecond.optional(),
    requests: z.number().int().min(1).max(1_000_000).optional().openapi({ example: 60 }),
    per: z.enum(PERS).optional().openapi({ example: "minute" }),
  })
  .strict()
  .superRefine((v, ctx) => {
    const bucket = v.capacity !== undefined || v.refillPerSecond !== undefined;
    const rate = v.requests !== undefined || v.per !== undefined;
    if (bucket && rate) ctx.addIssue({ code: "custom", message: "give either capacity and refillPerSecond, or requests and per" });
    const fields: (keyof typeof v)[] = rate ? ["requests", "per"] : ["capacity", "refillPerSecond"];
    for (const f of fields) if (v[f] === undefined) ctx.addIssue({ code: "custom", message: "required", path: [f] });
  })
  .transform((v): RateLimit => (v.requests !== undefined ? { capacity: v.requests, refillPerSecond: v.requests / PER_SECONDS[v.per!] } : { capacity: v.capacity!, refillPerSecond: v.refillPerSecond! }))
  .openapi("RateLimitInput", {
    description: "Either a bucket (`capacity` and `refillPerSecond`) or a rate (`requests` per `second`, `minute`, `hour` or `day`: a bucket of `requests` that refills in that time).",
  });

export const RateLimitViewSchema = z
  .object({
    capacity,
    refillPerSecond,
    requests: z.number().openapi({ description: "The same limit as a rate: `requests` per `per`." }),
    per: z.enum(PERS),
  })
  .openapi("RateLimit");

/**
 * Both forms of a limit. When the bucket refills in exactly one unit, that is the rate
 * (capacity 60, refill 1/s: 60 per minute); otherwise the sustained rate in the smallest unit
 * that makes it a whole number of requests, or per day.
 */
export function rateView(limit: RateLimit): z.infer<typeof RateLimitViewSchema> {
  const window = limit.capacity / limit.refillPerSecond;
  for (const per of PERS) if (Math.abs(window - PER_SECONDS[per]) < 1e-6 * PER_SECONDS[per]) return { ...limit, requests: limit.capacity, per };
  for (const per of PERS) {
    const requests = limit.refillPerSecond * PER_SECONDS[per];
    if (requests >= 1 && Math.abs(requests - Math.round(requests)) < 1e-9) return { ...limit, requests: Math.round(requests), per };
  }
  return { ...limit, requests: Math.round(limit.refillPerSecond * PER_SECONDS.day * 1000) / 1000, per: "day" };
}

export const rateViewOrNull = (limit: RateLimit | null) => (limit === null ? null : rateView(limit));
