import { drizzle } from "drizzle-orm/d1";
import type { KeyLimiter } from "../limits/key-limiter.ts";
import { meterD1, meterKV, meterStub, StoreMeter } from "./meter.ts";
import * as schema from "./schema.ts";

export type Database = ReturnType<typeof drizzle<typeof schema>>;

/** The stores one request may touch, every call counted by the request's meter. `d1` is for the
 * few statements drizzle cannot express in a batch (conditional INSERT … SELECT). */
export type Stores = {
  db: Database;
  d1: D1Database;
  kv: KVNamespace;
  /** The key's Durable Object (limits, quota, authoritative revocation). */
  keyLimiter: (keyId: string) => DurableObjectStub<KeyLimiter>;
  meter: StoreMeter;
};

export function openStores(env: Env): Stores {
  const meter = new StoreMeter();
  const d1 = meterD1(env.DB, meter);
  return {
    db: drizzle(d1, { schema }),
    d1,
    kv: meterKV(env.KEY_CACHE, meter),
    keyLimiter: (keyId) => meterStub(env.KEY_LIMITER.get(env.KEY_LIMITER.idFromName(keyId)), meter),
    meter,
  };
}
