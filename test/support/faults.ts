// Fault injection for the hardening suites (not a test file): the real bindings from
// cloudflare:test, each wrappable so that it fails, hangs or slows down on the calls a test picks,
// and a way to call the Worker's own fetch handler with such an env.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index.ts";
import { BASE } from "./gateway.ts";
import { freshIp } from "./hostile.ts";

export type Call = { kind: "read" | "write" | "batch"; sql: string; n: number };
/** What to do with one call: let it through, fail it, delay it, or never answer. */
export type Fault = "ok" | "fail" | "hang" | { delayMs: number };
export type Policy = (call: Call) => Fault;

const WRITE = /^\s*(insert|update|delete|replace)\b/i;

export const injected = (what: string) => new Error(`D1_ERROR: ${what}: SQLITE_BUSY (injected at /work/src/db.ts:1)`);

async function apply(fault: Fault, what: string): Promise<void> {
  if (fault === "ok") return;
  if (fault === "fail") throw injected(what);
  if (fault === "hang") return new Promise(() => {});
  await new Promise((r) => setTimeout(r, fault.delayMs));
}

/** env.DB behind a policy. `calls` records every statement the Worker ran through it. */
export function faultyD1(policy: Policy): { db: D1Database; calls: Call[] } {
  const real = env.DB;
  const calls: Call[] = [];
  const inner = new WeakMap<object, D1PreparedStatement>();
  const wrap = (stmt: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind") return (...v: unknown[]) => wrap(target.bind(...v), sql);
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (prop === "first" || prop === "all" || prop === "run" || prop === "raw") {
          return async (...args: unknown[]) => {
            const call: Call = { kind: WRITE.test(sql) ? "write" : "read", sql, n: calls.length };
            calls.push(call);
            await apply(policy(call), call.kind);
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return value.bind(target);
      },
    });
    inner.set(proxy, stmt);
    return proxy;
  };
  const db = new Proxy(real, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrap(target.prepare(sql), sql);
      if (prop === "batch") {
        return async (stmts: D1PreparedStatement[]) => {
          const call: Call = { kind: "batch", sql: `batch of ${stmts.length}`, n: calls.length };
          calls.push(call);
          await apply(policy(call), "batch");
          return target.batch(stmts.map((s) => inner.get(s) ?? s));
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db, calls };
}

/** env.KEY_CACHE behind a policy for reads (get) and writes (put, delete), or returning `corrupt`. */
export function faultyKV(opts: { get?: Fault | "corrupt" | { value: unknown }; put?: Fault }): { kv: KVNamespace; gets: number; puts: number } {
  const state = { kv: undefined as unknown as KVNamespace, gets: 0, puts: 0 };
  state.kv = new Proxy(env.KEY_CACHE, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "get" && opts.get !== undefined) {
        return async (...args: unknown[]) => {
          state.gets++;
          const g = opts.get!;
          if (g === "corrupt") throw new SyntaxError("Unexpected token < in JSON at position 0 (injected)");
          if (typeof g === "object" && "value" in g) return g.value;
          await apply(g, "kv get");
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      if ((prop === "put" || prop === "delete") && opts.put !== undefined) {
        return async (...args: unknown[]) => {
          state.puts++;
          await apply(opts.put!, "kv put");
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return value.bind(target);
    },
  });
  return state;
}

/** The key's Durable Object namespace with each RPC method replaced as the test says. */
export function faultyLimiter(methods: Partial<Record<"acquire" | "configure" | "report", Fault>>): Env["KEY_LIMITER"] {
  const ns = env.KEY_LIMITER;
  return {
    idFromName: (name: string) => ns.idFromName(name),
    get: (id: DurableObjectId) => {
      const stub = ns.get(id);
      return new Proxy(stub, {
        get(target, prop) {
          const fault = methods[prop as keyof typeof methods];
          if (fault === undefined) return Reflect.get(target, prop);
          return async (...args: unknown[]) => {
            if (fault === "fail") throw new Error("Durable Object reset because its code was updated (injected)");
            await apply(fault, "do");
            return Reflect.apply(Reflect.get(target, prop) as (...a: unknown[]) => unknown, target, args);
          };
        },
      });
    },
  } as unknown as Env["KEY_LIMITER"];
}

export type Send = { method?: string; key?: string; body?: unknown; headers?: Record<string, string> };

/** A request through the Worker's default export, with the env given (the faulty one). */
export async function send(e: Env, path: string, opts: Send = {}): Promise<Response> {
  const headers = new Headers(opts.headers);
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", freshIp());
  if (opts.key) headers.set("Authorization", `Bearer ${opts.key}`);
  let body: BodyInit | undefined;
  if (opts.body !== undefined) {
    const raw = typeof opts.body === "string" || opts.body instanceof ReadableStream || opts.body instanceof Uint8Array;
    body = raw ? (opts.body as BodyInit) : JSON.stringify(opts.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const ctx = createExecutionContext();
  // Not waiting on ctx here: usage reports are held back for seconds in waitUntil on purpose. The
  // file waits for them once, at its end (settleBackground), so none logs after its teardown.
  contexts.push(ctx);
  return worker.fetch(new Request(BASE + path, { method: opts.method ?? (body ? "POST" : "GET"), headers, body }), e, ctx);
}

const contexts: ExecutionContext[] = [];

/** For afterAll: the background work of every request `send` made has finished. */
export async function settleBackground(): Promise<void> {
  await Promise.allSettled(contexts.splice(0).map((ctx) => waitOnExecutionContext(ctx)));
}

export const withEnv = (over: Partial<Env & TestVars>): Env => ({ ...env, ...over }) as Env;

/** Bindings vitest.config.ts adds for the test origins. */
export type TestVars = { ORIGIN_ECHO_URL: string; ORIGIN_DOWN_URL: string; ORIGIN_QUERY_URL: string };
export const testVars = env as unknown as TestVars;
