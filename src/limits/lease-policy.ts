// The knobs of the lease scheme, in one place. README "Limits" explains the trade-off.

/** A lease lives at most this long: the bound on how late a revocation can take effect. */
export const LEASE_MS = 1_000;
/**
 * A lease with less than this share of its time or of its tokens left is renewed in the background
 * by the request that finds it so, while requests keep spending it: with traffic, the next lease is
 * there before this one runs out, and no request waits for the round trip to the key's object.
 */
export const RENEW_AT_FRACTION = 0.3;
/** One lease may take at most this share of the tokens left, so idle leases starve no one. */
export const MAX_LEASE_FRACTION = 0.25;
/** The most an isolate asks for at once, whatever its traffic. */
export const MAX_LEASE_TOKENS = 1_000;
/** Usage reaches the key's object with the next lease, or after this long at the latest. */
export const USAGE_REPORT_MS = 5_000;
/** The key's object flushes usage to D1 this long after the first unflushed report. */
export const USAGE_FLUSH_DELAY_MS = 10_000;
/** D1 allows 100 bound parameters per statement and batches are best kept small. */
export const USAGE_FLUSH_MAX_ROWS = 50;
/** A lease call that takes longer is treated as the object being unreachable (503 / fail-open). */
export const LIMITER_TIMEOUT_MS = 2_000;
/** A 429 from the object is remembered at most this long (or until its Retry-After, if sooner). */
export const MAX_REFUSAL_CACHE_MS = 1_000;
