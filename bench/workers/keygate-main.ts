// The keygate Worker as the benchmark serves it: wrangler's bundle (bench/.build/keygate/index.js,
// byte for byte what `wrangler deploy` would upload), behind a thin counting layer for the things
// the Worker's own Server-Timing does not count:
//   - calls to the AUTH_FAILURES rate-limiting binding (the per-IP failure filter);
//   - what the key objects do on their own: alarms, their D1 batches (usage flushes: statements,
//     rows read and written as D1 reports them) and their calls to the tenant's TenantQuota object.
// The fetch handler is the bundle's own, called with an env whose AUTH_FAILURES is a counting
// wrapper (built once per isolate, so the hot path pays one function call and a comparison).
// Outbound fetches skip Miniflare's JavaScript interceptor when BENCH_ORIGIN is bound (outbound.ts).
// Counters are per isolate (and, for the objects, per key); the harness reads them through
// KeyLimiter.benchStats().
// @ts-ignore: the bundle is built into bench/.build by the harness and has no types.
import keygate, { KeyLimiter as BundledKeyLimiter, TenantQuota } from "./keygate/index.js";
import { useNativeOutbound } from "./outbound.ts";

export { TenantQuota };

type AnyEnv = Record<string, any>;

const stats = { ratelimitCalls: 0 };

type ObjectStats = { alarms: number; d1Batches: number; d1Statements: number; d1RowsRead: number; d1RowsWritten: number; tenantQuotaCalls: number };
/** What each key's object did on its own, by key id. */
const objects: Record<string, ObjectStats> = {};
const objectStats = (holder: { keyId: string }): ObjectStats =>
  (objects[holder.keyId] ??= { alarms: 0, d1Batches: 0, d1Statements: 0, d1RowsRead: 0, d1RowsWritten: 0, tenantQuotaCalls: 0 });

let seenEnv: AnyEnv | null = null;
let benchEnv: AnyEnv | null = null;

function withCountingFilter(env: AnyEnv): AnyEnv {
  if (env !== seenEnv) {
    useNativeOutbound(env);
    const filter = env.AUTH_FAILURES;
    benchEnv = {
      ...env,
      AUTH_FAILURES: {
        limit(options: unknown) {
          stats.ratelimitCalls++;
          return filter.limit(options);
        },
      },
    };
    seenEnv = env;
  }
  return benchEnv!;
}

export default {
  fetch(request: Request, env: AnyEnv, ctx: unknown) {
    return keygate.fetch(request, withCountingFilter(env), ctx);
  },
  scheduled: keygate.scheduled,
};

function countingD1(db: AnyEnv, holder: { keyId: string }): AnyEnv {
  return new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === "batch") {
        return async (statements: unknown[]) => {
          const s = objectStats(holder);
          s.d1Batches++;
          s.d1Statements += statements.length;
          const results = await target.batch(statements);
          for (const r of results as { meta?: { rows_read?: number; rows_written?: number } }[]) {
            s.d1RowsRead += r.meta?.rows_read ?? 0;
            s.d1RowsWritten += r.meta?.rows_written ?? 0;
          }
          return results;
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function countingNamespace(ns: AnyEnv, holder: { keyId: string }): AnyEnv {
  return {
    idFromName: (name: string) => ns.idFromName(name),
    get: (id: unknown) => {
      const stub = ns.get(id);
      return new Proxy(stub, {
        get(target, prop) {
          if (prop === "then") return undefined;
          const value = Reflect.get(target, prop);
          if (typeof value !== "function") return value;
          return (...args: unknown[]) => {
            objectStats(holder).tenantQuotaCalls++;
            return Reflect.apply(value, target, args);
          };
        },
      });
    },
  };
}

export class KeyLimiter extends BundledKeyLimiter {
  private readonly holder: { keyId: string };

  constructor(ctx: any, env: AnyEnv) {
    const holder = { keyId: ctx.storage.kv.get("identity")?.keyId ?? "(unknown)" };
    super(ctx, { ...env, DB: countingD1(env.DB, holder), TENANT_QUOTA: countingNamespace(env.TENANT_QUOTA, holder) });
    this.holder = holder;
  }

  acquire(req: { keyId: string }) {
    this.holder.keyId = req.keyId;
    return super.acquire(req);
  }

  async alarm(): Promise<void> {
    const id = (this as any).ctx.storage.kv.get("identity");
    if (id?.keyId) this.holder.keyId = id.keyId;
    objectStats(this.holder).alarms++;
    return super.alarm();
  }

  /** The isolate's counters (every KeyLimiter of this Worker runs in this isolate). */
  benchStats() {
    return { ...stats, objects };
  }
}
