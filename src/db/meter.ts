// Counts every call the Worker makes to D1, KV and Durable Objects while serving one request. The counts go to the
// access log (and, when EXPOSE_STORE_METRICS is on, to a Server-Timing header) so the claim "a hot
// key costs no store reads" is measured rather than assumed.
export class StoreMeter {
  d1Reads = 0;
  d1Writes = 0;
  kvReads = 0;
  kvWrites = 0;
  doCalls = 0;
  /** Calls the request started but did not wait for (a cache refresh), if it started any. */
  background?: StoreMeter;

  /** The request's own calls; background ones follow as bg-* (counted when they start). */
  serverTiming(): string {
    const own = this.metrics("");
    return this.background ? `${own}, ${this.background.metrics("bg-")}` : own;
  }

  private metrics(prefix: string): string {
    return [
      `${prefix}do-call;desc="${this.doCalls}"`,
      `${prefix}d1-read;desc="${this.d1Reads}"`,
      `${prefix}d1-write;desc="${this.d1Writes}"`,
      `${prefix}kv-read;desc="${this.kvReads}"`,
      `${prefix}kv-write;desc="${this.kvWrites}"`,
    ].join(", ");
  }

  toJSON(): Record<string, unknown> {
    const own = { d1Reads: this.d1Reads, d1Writes: this.d1Writes, kvReads: this.kvReads, kvWrites: this.kvWrites, doCalls: this.doCalls };
    return this.background ? { ...own, background: this.background.toJSON() } : own;
  }
}

const WRITE_SQL = /^\s*(insert|update|delete|replace|create|drop|alter)\b/i;
type Unwrapped = { stmt: D1PreparedStatement; isWrite: boolean };
const unwrap = new WeakMap<object, Unwrapped>();

function tally(meter: StoreMeter, isWrite: boolean): void {
  if (isWrite) meter.d1Writes++;
  else meter.d1Reads++;
}

function meterStatement(stmt: D1PreparedStatement, isWrite: boolean, meter: StoreMeter): D1PreparedStatement {
  const wrapped = new Proxy(stmt, {
    get(target, prop) {
      if (prop === "bind") {
        return (...values: unknown[]) => meterStatement(target.bind(...values), isWrite, meter);
      }
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "first" || prop === "all" || prop === "run" || prop === "raw") {
        return (...args: unknown[]) => {
          tally(meter, isWrite);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return value.bind(target);
    },
  });
  unwrap.set(wrapped, { stmt, isWrite });
  return wrapped;
}

/** A D1 binding that counts statements; batch() counts each statement it carries. */
export function meterD1(db: D1Database, meter: StoreMeter): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") {
        return (query: string) => meterStatement(target.prepare(query), WRITE_SQL.test(query), meter);
      }
      if (prop === "batch") {
        // The real binding only accepts its own statement objects, so unwrap ours first.
        return (stmts: D1PreparedStatement[]) =>
          target.batch(
            stmts.map((s) => {
              const inner = unwrap.get(s);
              if (!inner) return s;
              tally(meter, inner.isWrite);
              return inner.stmt;
            }),
          );
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A KV binding that counts reads (get, list) and writes (put, delete). */
export function meterKV(kv: KVNamespace, meter: StoreMeter): KVNamespace {
  return new Proxy(kv, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (prop === "get" || prop === "getWithMetadata" || prop === "list") meter.kvReads++;
        if (prop === "put" || prop === "delete") meter.kvWrites++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** A Durable Object stub whose every RPC call is counted. */
export function meterStub<T extends object>(stub: T, meter: StoreMeter): T {
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        meter.doCalls++;
        // Reflect.apply: on an RPC stub, `.apply` would itself be taken for a remote method.
        return Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
      };
    },
  });
}
