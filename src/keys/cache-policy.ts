// How long each cache tier may serve a copy. Worst-case staleness after an admin change, for an
// isolate other than the one that made it (that one updates its own memory at once):
//   isolate memory (KEY_MEMORY_TTL_MS) + KV edge cache (KV_CACHE_TTL_S) + KV propagation (~60 s)
//   = about 2 minutes. README "Caching and staleness" explains it; the key's Durable Object
//   (issue 3) is what makes revocation immediate regardless of these numbers.
export const KEY_MEMORY_TTL_MS = 10_000;
/**
 * After its TTL a key or tenant copy is still served for this long while one background read
 * refreshes it (stale-while-revalidate), so a hot key never waits on KV: the refresh usually lands
 * within milliseconds. The full period is reached only while KV and D1 both fail, when the copy is
 * what D1 last said anyway (no admin change can land without D1). The key's object enforces
 * revocation, disabling, expiry and scopes whatever this copy says.
 */
export const MEMORY_STALE_MS = 50_000;
/** Unknown keys are remembered so a repeated bad key costs no KV or D1 read. */
export const NEGATIVE_MEMORY_TTL_MS = 60_000;
export const TENANT_MEMORY_TTL_MS = 10_000;
export const MEMORY_MAX_ENTRIES = 10_000;
/** KV's own edge cache for reads (the platform minimum is 30 s). */
export const KV_CACHE_TTL_S = 60;
/** KV copies age out on their own, bounding any copy a racing writer left behind. */
export const KV_EXPIRATION_TTL_S = 3_600;
