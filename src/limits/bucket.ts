// A token bucket as plain data and pure functions, so the arithmetic is tested on its own and the
// Durable Object only decides when to persist it.
import type { RateLimit } from "../tenants/plans.ts";

export type Bucket = { tokens: number; at: number };

export function refill(bucket: Bucket, limit: RateLimit, now: number): Bucket {
  if (now <= bucket.at) return bucket;
  const tokens = Math.min(limit.capacity, bucket.tokens + ((now - bucket.at) / 1000) * limit.refillPerSecond);
  return { tokens, at: now };
}

/** Seconds until `needed` tokens are available (0 if they are now). */
export function secondsUntil(bucket: Bucket, limit: RateLimit, needed: number): number {
  const missing = needed - bucket.tokens;
  if (missing <= 0) return 0;
  return missing / limit.refillPerSecond;
}

/** The policy's window in the IETF sense: the time an empty bucket takes to fill. */
export function windowSeconds(limit: RateLimit): number {
  return Math.max(1, Math.ceil(limit.capacity / limit.refillPerSecond));
}
