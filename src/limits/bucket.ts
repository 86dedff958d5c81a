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

/** Tokens handed out in leases that may still be spent elsewhere, by lease id, until `exp`. */
export type Leases = Record<string, { n: number; exp: number }>;

export function liveLeases(stored: Leases | undefined, now: number): Leases {
  const leases = { ...stored };
  for (const [id, l] of Object.entries(leases)) if (l.exp <= now) delete leases[id];
  return leases;
}

/**
 * Refill, but only up to capacity minus what live leases still hold; then add `credit` (tokens a
 * lease gave back). So bucket + outstanding ≤ capacity at all times, and any window admits at most
 * capacity + refill × its length, however many leases are out. A new bucket starts full.
 */
export function refillBelowLeases(stored: Bucket | undefined, limit: RateLimit, leases: Leases, now: number, credit: number): Bucket {
  const room = limit.capacity - Object.values(leases).reduce((n, l) => n + l.n, 0);
  const b = refill(stored ?? { tokens: limit.capacity, at: now }, limit, now);
  return { tokens: Math.max(0, Math.min(room, b.tokens + credit)), at: b.at };
}
