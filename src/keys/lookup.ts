// Key and tenant lookup through three tiers: isolate memory, then KV, then D1 (the truth).
// Misses fill the tiers above them after the response (waitUntil), so the client never waits on it.
// Admin changes write through these tiers from admin/publish.ts.
import { eq } from "drizzle-orm";
import { BoundedMap } from "../core/bounded-map.ts";
import { deadline } from "../core/deadline.ts";
import { log } from "../core/log.ts";
import { lookAgain } from "../core/look-again.ts";
import { MemoryCache } from "../core/memory-cache.ts";
import type { Stores } from "../db/client.ts";
import { readD1 } from "../db/read.ts";
import { apiKeys, keySecrets, tenants } from "../db/schema.ts";
import {
  KEY_MEMORY_TTL_MS,
  KV_CACHE_TTL_S,
  KV_EXPIRATION_TTL_S,
  MEMORY_MAX_ENTRIES,
  MEMORY_STALE_MS,
  NEGATIVE_MEMORY_TTL_MS,
  TENANT_MEMORY_TTL_MS,
} from "./cache-policy.ts";
import { keySnapshot, tenantSnapshot, type KeySnapshot, type TenantSnapshot } from "./snapshot.ts";

type Defer = (promise: Promise<unknown>) => void;

/** Isolate-wide. `null` records a known miss. Exported for tests that need a cold isolate. */
export const memory = {
  keys: new MemoryCache<KeySnapshot | null>(MEMORY_MAX_ENTRIES),
  tenants: new MemoryCache<TenantSnapshot>(MEMORY_MAX_ENTRIES),
};

/** A KV read that does not answer is treated as failing: the lookup falls through to D1. */
const KV_READ_DEADLINE_MS = 1_000;

/** A good copy: fresh for its TTL, then served stale while it is refreshed (cache-policy.ts). */
const rememberKey = (hash: string, key: KeySnapshot) => memory.keys.set(hash, key, KEY_MEMORY_TTL_MS, Date.now(), MEMORY_STALE_MS);
const rememberTenant = (id: string, tenant: TenantSnapshot) => memory.tenants.set(id, tenant, TENANT_MEMORY_TTL_MS, Date.now(), MEMORY_STALE_MS);

const kvKeyName = (hash: string) => `key:${hash}`;
const kvTenantName = (id: string) => `tenant:${id}`;

async function readKV<T>(stores: Stores, name: string): Promise<T | null> {
  try {
    return await deadline(stores.kv.get<T>(name, { type: "json", cacheTtl: KV_CACHE_TTL_S }), KV_READ_DEADLINE_MS, "KV read");
  } catch (err) {
    // KV is only a cache: when it fails, D1 answers.
    log("warn", "kv.read_failed", { name, error: String(err) });
    return null;
  }
}

function writeKV(stores: Stores, defer: Defer, name: string, value: unknown): void {
  defer(
    stores.kv
      .put(name, JSON.stringify(value), { expirationTtl: KV_EXPIRATION_TTL_S })
      .catch((err: unknown) => log("warn", "kv.write_failed", { name, error: String(err) })),
  );
}

async function keyFromD1(stores: Stores, hash: string): Promise<KeySnapshot | null> {
  const row = await readD1("key", () =>
    stores.db
      .select()
      .from(keySecrets)
      .innerJoin(apiKeys, eq(apiKeys.id, keySecrets.keyId))
      .where(eq(keySecrets.hash, hash))
      .get(),
  );
  return row ? keySnapshot(row.api_keys, row.key_secrets) : null;
}

/**
 * The copies being loaded now, by name. When a key's copy is missing, every request in flight at
 * that moment would read KV itself: one load per key (and per tenant) runs at a time, and the
 * others find its result in memory.
 */
const loading = new BoundedMap<string, true>(MEMORY_MAX_ENTRIES);

function loadOnce<T>(name: string, load: () => Promise<T>): Promise<T> {
  loading.set(name, true);
  return load().finally(() => loading.delete(name));
}

/**
 * A stale copy is served as it is, and one read per key refreshes it after the response: its store
 * calls are counted on the request's background meter, not as the request's own.
 */
function refreshLater(stores: Stores, defer: Defer, name: string, load: (background: Stores) => Promise<unknown>): void {
  if (loading.has(name)) return;
  defer(loadOnce(name, () => load(stores.background)).catch((err: unknown) => log("warn", "cache.refresh_failed", { what: name.split(":")[0], error: String(err) })));
}

/**
 * Memory first: a fresh copy as it is, a stale one while it is refreshed (neither as a promise),
 * a miss as one load, which requests missing the same copy meanwhile look for in memory.
 */
function throughMemory<T>(stores: Stores, defer: Defer, cache: MemoryCache<T>, id: string, name: string, load: (s: Stores) => Promise<T>): T | Promise<T> {
  const cached = cache.lookup(id);
  if (cached !== undefined) {
    if (cached.stale) refreshLater(stores, defer, name, load);
    return cached.value;
  }
  // Another request is loading it: look in memory again on this request's own timers, then load
  // it here (core/look-again.ts says why not by awaiting that request's load).
  if (loading.has(name)) return lookAgain(() => cache.lookup(id), () => loading.has(name)).then((hit) => (hit ? hit.value : load(stores)));
  return loadOnce(name, () => load(stores));
}

export function findKey(stores: Stores, defer: Defer, hash: string): KeySnapshot | null | Promise<KeySnapshot | null> {
  return throughMemory(stores, defer, memory.keys, hash, kvKeyName(hash), (s) => loadKey(s, defer, hash));
}

async function loadKey(stores: Stores, defer: Defer, hash: string): Promise<KeySnapshot | null> {
  const fromKV = await readKV<KeySnapshot>(stores, kvKeyName(hash));
  if (fromKV) {
    rememberKey(hash, fromKV);
    return fromKV;
  }

  const found = await keyFromD1(stores, hash);
  if (found) {
    rememberKey(hash, found);
    writeKV(stores, defer, kvKeyName(hash), found);
  } else {
    // Only in memory: writing misses to KV would turn a flood of random keys into KV writes.
    memory.keys.set(hash, null, NEGATIVE_MEMORY_TTL_MS);
  }
  return found;
}

export function findTenant(stores: Stores, defer: Defer, id: string): TenantSnapshot | null | Promise<TenantSnapshot | null> {
  // A tenant missing from D1 is not remembered: its keys are refused by verification anyway.
  return throughMemory(stores, defer, memory.tenants as MemoryCache<TenantSnapshot | null>, id, kvTenantName(id), (s) => loadTenant(s, defer, id));
}

async function loadTenant(stores: Stores, defer: Defer, id: string): Promise<TenantSnapshot | null> {
  const fromKV = await readKV<TenantSnapshot>(stores, kvTenantName(id));
  if (fromKV) {
    rememberTenant(id, fromKV);
    return fromKV;
  }
  const row = await readD1("tenant", () => stores.db.select().from(tenants).where(eq(tenants.id, id)).get());
  if (!row) return null;
  const snapshot = tenantSnapshot(row);
  rememberTenant(id, snapshot);
  writeKV(stores, defer, kvTenantName(id), snapshot);
  return snapshot;
}

/**
 * The key's object refused a key this isolate still had cached as good: correct the copy, so the
 * next attempts are refused here without asking anyone (until the copy expires).
 */
export function forgetKey(hash: string, reason: "revoked" | "disabled" | "expired" | "unknown-secret"): void {
  const cached = memory.keys.lookup(hash)?.value;
  if (!cached || reason === "unknown-secret") {
    memory.keys.delete(hash);
    return;
  }
  const now = Date.now();
  const corrected =
    reason === "revoked" ? { ...cached, revokedAt: now } : reason === "disabled" ? { ...cached, enabled: false } : { ...cached, secretExpiresAt: now };
  rememberKey(hash, corrected);
}

/** Write a key's new state over every cached copy of it: this isolate's memory and KV. */
export function cacheKey(stores: Stores, defer: Defer, snapshot: KeySnapshot): void {
  rememberKey(snapshot.hash, snapshot);
  writeKV(stores, defer, kvKeyName(snapshot.hash), snapshot);
}

/** The same for a tenant. */
export function cacheTenant(stores: Stores, defer: Defer, snapshot: TenantSnapshot): void {
  rememberTenant(snapshot.id, snapshot);
  writeKV(stores, defer, kvTenantName(snapshot.id), snapshot);
}
