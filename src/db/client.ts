import { drizzle } from "drizzle-orm/d1";
import { meterD1, meterKV, StoreMeter } from "./meter.ts";
import * as schema from "./schema.ts";

export type Database = ReturnType<typeof drizzle<typeof schema>>;

/** The stores one request may touch, every call counted by the request's meter. `d1` is for the
 * few statements drizzle cannot express in a batch (conditional INSERT … SELECT). */
export type Stores = { db: Database; d1: D1Database; kv: KVNamespace; meter: StoreMeter };

export function openStores(env: Env): Stores {
  const meter = new StoreMeter();
  const d1 = meterD1(env.DB, meter);
  return { db: drizzle(d1, { schema }), d1, kv: meterKV(env.KEY_CACHE, meter), meter };
}
