import { drizzle } from "drizzle-orm/d1";
import { meterD1, meterKV, meterStub, StoreMeter } from "./meter.ts";
import * as schema from "./schema.ts";

export type Database = ReturnType<typeof drizzle<typeof schema>>;
/** The key's object, typed by the generated Env (so this floor needs no import from limits/). */
export type KeyLimiterStub = ReturnType<Env["KEY_LIMITER"]["get"]>;

/** The stores one request may touch, every call counted by the request's meter. `d1` is for the
 * few statements drizzle cannot express in a batch (conditional INSERT … SELECT). */
export type Stores = {
  db: Database;
  d1: D1Database;
  kv: KVNamespace;
  /** The key's Durable Object (limits, quota, authoritative revocation). */
  keyLimiter: (keyId: string) => KeyLimiterStub;
  meter: StoreMeter;
  /**
   * The same stores for work the request starts but does not wait for (refreshing a stale cache
   * copy), counted on their own meter (meter.background) so the request's counts stay its own.
   */
  background: Stores;
};

/**
 * Built lazily: a request served from the isolate's caches and lease never touches a store, so
 * it should not pay for wrapping them (drizzle's setup alone is measurable per request).
 */
export function openStores(env: Env): Stores {
  const meter = new StoreMeter();
  let d1: D1Database | undefined;
  let db: Database | undefined;
  let kv: KVNamespace | undefined;
  let background: Stores | undefined;
  const metered = () => (d1 ??= meterD1(env.DB, meter));
  return {
    get db() {
      return (db ??= drizzle(metered(), { schema }));
    },
    get d1() {
      return metered();
    },
    get kv() {
      return (kv ??= meterKV(env.KEY_CACHE, meter));
    },
    keyLimiter: (keyId) => meterStub(env.KEY_LIMITER.get(env.KEY_LIMITER.idFromName(keyId)), meter),
    meter,
    get background() {
      if (!background) {
        background = openStores(env);
        meter.background = background.meter;
      }
      return background;
    },
  };
}
