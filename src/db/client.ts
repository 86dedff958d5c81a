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
 * it should not pay for wrapping them (drizzle's setup alone is measurable per request). A class,
 * so that opening them makes one object and no closures on every request.
 */
export function openStores(env: Env): Stores {
  return new RequestStores(env);
}

class RequestStores implements Stores {
  readonly meter = new StoreMeter();
  #d1?: D1Database;
  #db?: Database;
  #kv?: KVNamespace;
  #background?: Stores;

  readonly #env: Env;

  constructor(env: Env) {
    this.#env = env;
  }

  get d1(): D1Database {
    return (this.#d1 ??= meterD1(this.#env.DB, this.meter));
  }

  get db(): Database {
    return (this.#db ??= drizzle(this.d1, { schema }));
  }

  get kv(): KVNamespace {
    return (this.#kv ??= meterKV(this.#env.KEY_CACHE, this.meter));
  }

  keyLimiter(keyId: string): KeyLimiterStub {
    return meterStub(this.#env.KEY_LIMITER.get(this.#env.KEY_LIMITER.idFromName(keyId)), this.meter);
  }

  get background(): Stores {
    if (!this.#background) {
      this.#background = openStores(this.#env);
      this.meter.background = this.#background.meter;
    }
    return this.#background;
  }
}
