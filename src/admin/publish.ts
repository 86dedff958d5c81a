// Publishing an admin change of a key or tenant, once D1 holds it: the key's object first (what
// every isolate consults within a lease), then this isolate's lease and caches, then KV. Writing
// the new state (rather than deleting copies) means a revoked key that keeps being tried is
// answered from cache, never from D1.
import { eq } from "drizzle-orm";
import { log } from "../core/log.ts";
import type { Stores } from "../db/client.ts";
import { apiKeys, keySecrets, tenants } from "../db/schema.ts";
import { readD1 } from "../db/read.ts";
import { cacheKey, cacheTenant } from "../keys/lookup.ts";
import { keySnapshot, tenantSnapshot } from "../keys/snapshot.ts";
import { dropLease } from "../limits/leases.ts";

type Defer = (promise: Promise<unknown>) => void;

export async function publishKey(stores: Stores, defer: Defer, keyId: string): Promise<void> {
  const rows = await readD1("key for publishing", () =>
    stores.db.select().from(keySecrets).innerJoin(apiKeys, eq(apiKeys.id, keySecrets.keyId)).where(eq(keySecrets.keyId, keyId)).all(),
  );
  if (rows.length === 0) return;
  const key = rows[0]!.api_keys;
  // The key's object first: once this returns, the change holds everywhere within LEASE_MS
  // whatever the caches below say.
  dropLease(keyId);
  try {
    await stores.keyLimiter(keyId).configure({
      keyId,
      tenantId: key.tenantId,
      version: key.updatedAt,
      revokedAt: key.revokedAt,
      enabled: key.enabled,
      expiresAt: key.expiresAt,
      scopes: key.scopes,
      secrets: Object.fromEntries(rows.map((r) => [r.key_secrets.hash, r.key_secrets.expiresAt])),
    });
  } catch (err) {
    // D1 already holds the change; the object adopts it from the next isolate whose cache has
    // the newer version (at worst the cache staleness in keys/cache-policy.ts).
    log("error", "limiter.configure_failed", { keyId, error: String(err) });
  }
  for (const row of rows) cacheKey(stores, defer, keySnapshot(row.api_keys, row.key_secrets));
}

export async function publishTenant(stores: Stores, defer: Defer, tenantId: string): Promise<void> {
  const row = await stores.db.select().from(tenants).where(eq(tenants.id, tenantId)).get();
  if (row) cacheTenant(stores, defer, tenantSnapshot(row));
}
