// Publishing an admin change of a key or tenant, once D1 holds it: the key's object first (what
// every isolate consults within a lease), then this isolate's lease and caches, then KV. Writing
// the new state (rather than deleting copies) means a revoked key that keeps being tried is
// answered from cache, never from D1.
import { eq } from "drizzle-orm";
import { log } from "../core/log.ts";
import type { Stores } from "../db/client.ts";
import { apiKeys, keySecrets, tenants, type KeySecretRow } from "../db/schema.ts";
import { readD1 } from "../db/read.ts";
import { cacheKey, cacheTenant } from "../keys/lookup.ts";
import { keySnapshot, tenantSnapshot } from "../keys/snapshot.ts";
import { dropLease } from "../limits/leases.ts";
import { authStateOfRow } from "../limits/protocol.ts";

type Defer = (promise: Promise<unknown>) => void;

/**
 * `erased`: the secrets a delete just removed from D1. The key's object is told the key has no
 * secrets left (so it forgets their hashes and refuses them as revoked), and each erased secret's
 * cached copy is overwritten with the revoked state, since a lookup by its hash finds nothing in D1
 * to refresh it from.
 */
export async function publishKey(stores: Stores, defer: Defer, keyId: string, erased: KeySecretRow[] = []): Promise<void> {
  // From the key, not the secrets: a deleted key has none and must still be published.
  const rows = await readD1("key for publishing", () =>
    stores.db.select().from(apiKeys).leftJoin(keySecrets, eq(apiKeys.id, keySecrets.keyId)).where(eq(apiKeys.id, keyId)).all(),
  );
  if (rows.length === 0) return;
  const key = rows[0]!.api_keys;
  const secrets = rows.flatMap((r) => (r.key_secrets ? [r.key_secrets] : []));
  // The key's object first: once this returns, the change holds everywhere within LEASE_MS
  // whatever the caches below say.
  dropLease(keyId);
  try {
    await stores.keyLimiter(keyId).configure(authStateOfRow(key, secrets));
  } catch (err) {
    // D1 already holds the change; the object adopts it from the next isolate whose cache has
    // the newer version (at worst the cache staleness in keys/cache-policy.ts).
    log("error", "limiter.configure_failed", { keyId, error: String(err) });
  }
  for (const secret of [...secrets, ...erased]) cacheKey(stores, defer, keySnapshot(key, secret));
}

export async function publishTenant(stores: Stores, defer: Defer, tenantId: string): Promise<void> {
  const row = await stores.db.select().from(tenants).where(eq(tenants.id, tenantId)).get();
  if (row) cacheTenant(stores, defer, tenantSnapshot(row));
}
