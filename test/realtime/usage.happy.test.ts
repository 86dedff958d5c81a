// A WebSocket connection's usage: the upgrade is one request (`GET /v1/realtime`, status 101), each
// client message one `WS-IN /v1/realtime` spending the route's messageCost, each origin message one
// `WS-OUT /v1/realtime` costing nothing, all with their bytes. They ride the key's usage to its
// object like HTTP counts do, and reach D1 with its flush, never a store call per message.
import { createExecutionContext, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
import { flushAnalytics } from "../support/analytics-flush.ts";
import { BASE, call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { nextMessages, openSocket, type Opened } from "../support/realtime.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const utf8 = (s: string) => new TextEncoder().encode(s).byteLength;

function closeEvent(ws: WebSocket, ms = 3000): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms);
    ws.addEventListener("close", (ev) => {
      clearTimeout(timer);
      resolve({ code: ev.code, reason: ev.reason });
    });
  });
}

type Row = { route: string; statusClass: number; outcome: string; requests: number; cost: number; bytes: number };

/** The key's minute rollups, one row per route, status class and outcome. */
async function minuteRows(keyId: string): Promise<Row[]> {
  const { results } = await env.DB.prepare(
    `SELECT route, status_class AS statusClass, outcome, sum(requests) AS requests, sum(cost) AS cost, sum(bytes) AS bytes
       FROM analytics_minute WHERE key_id = ? GROUP BY route, status_class, outcome ORDER BY route, status_class`,
  )
    .bind(keyId)
    .all<Row>();
  return results;
}

/** /v1/analytics summed over the last hour's minutes, per value of `groupBy`: [requests, cost, bytes]. */
async function analytics(admin: string, query: Record<string, string>): Promise<Record<string, [number, number, number]>> {
  const res = await call(`/v1/analytics?${new URLSearchParams({ interval: "minute", ...query })}`, { key: admin });
  const body = await json(res);
  expect(res.status, JSON.stringify(body)).toBe(200);
  const out: Record<string, [number, number, number]> = {};
  const by = query.groupBy!;
  for (const p of body.data) {
    const sum = (out[p[by]] ??= [0, 0, 0]);
    sum[0] += p.requests;
    sum[1] += p.cost;
    sum[2] += p.bytes;
  }
  return out;
}

async function realtimeKey(body: Record<string, unknown> = {}) {
  const { admin, tenant } = await tenantWithAdmin(platform);
  const k = await createKey(admin, { scopes: ["realtime"], ...body });
  return { ...k, admin, tenantId: tenant.id as string };
}

describe("realtime usage", () => {
  it("the upgrade, N client and M origin messages reach the rollups as GET, WS-IN and WS-OUT with cost and bytes", async () => {
    const k = await realtimeKey();
    const o = await openSocket("/v1/realtime/push", { key: k.key });
    expect(o.res.status).toBe(101);
    // N = 4 client messages; M = 3 echoes + 4 pushed = 7 origin messages. Text is counted in UTF-8 bytes.
    const sent: (string | Uint8Array)[] = ["hello", new Uint8Array([1, 2, 3]), "éé€", "push 4"];
    for (const m of sent) o.ws!.send(m);
    const got = await nextMessages(o, 7);
    expect(got.slice(0, 2)).toEqual(["hello", expect.any(ArrayBuffer)]);
    expect(got.slice(2)).toEqual(["éé€", "m1", "m2", "m3", "m4"]);
    const closing = closeEvent(o.ws!);
    o.ws!.close(1000, "done");
    await closing;

    const inBytes = 5 + 3 + utf8("éé€") + 6;
    const outBytes = 5 + 3 + utf8("éé€") + 4 * 2;
    expect(utf8("éé€")).toBe(7);

    // Nothing was written per message: until the key's object flushes, D1 has no row of this key.
    expect(await minuteRows(k.id)).toEqual([]);

    await flushAnalytics([{ id: k.id, tenantId: k.tenantId }]);
    expect(await minuteRows(k.id)).toEqual([
      { route: "GET /v1/realtime", statusClass: 1, outcome: "valid", requests: 1, cost: 1, bytes: 0 },
      { route: "WS-IN /v1/realtime", statusClass: 2, outcome: "valid", requests: 4, cost: 4, bytes: inBytes },
      { route: "WS-OUT /v1/realtime", statusClass: 2, outcome: "valid", requests: 7, cost: 0, bytes: outBytes },
    ]);

    // The same through the analytics API.
    expect(await analytics(k.admin, { keyId: k.id, groupBy: "route" })).toEqual({
      "GET /v1/realtime": [1, 1, 0],
      "WS-IN /v1/realtime": [4, 4, inBytes],
      "WS-OUT /v1/realtime": [7, 0, outBytes],
    });
    expect(await analytics(k.admin, { keyId: k.id, route: "GET /v1/realtime", groupBy: "status" })).toEqual({ "1xx": [1, 1, 0] });

    // And the key's usage: the messages as requests of their routes, their bytes in the totals.
    const usage = await json(await call(`/v1/keys/${k.id}/usage`, { key: k.admin }));
    expect(usage.totals).toMatchObject({ cost: 5, bytes: inBytes + outBytes });
  });

  it("two connections of one key add up; a second flush counts nothing twice", async () => {
    const k = await realtimeKey();
    const counts = [3, 5];
    for (const n of counts) {
      const o = await openSocket("/v1/realtime/echo", { key: k.key });
      for (let i = 0; i < n; i++) o.ws!.send(`x${i}`);
      await nextMessages(o, n);
      const closing = closeEvent(o.ws!);
      o.ws!.close(1000, "done");
      await closing;
    }
    await flushAnalytics([{ id: k.id, tenantId: k.tenantId }]);
    await flushAnalytics([{ id: k.id, tenantId: k.tenantId }]);
    const want = [
      { route: "GET /v1/realtime", statusClass: 1, outcome: "valid", requests: 2, cost: 2, bytes: 0 },
      { route: "WS-IN /v1/realtime", statusClass: 2, outcome: "valid", requests: 8, cost: 8, bytes: 16 },
      { route: "WS-OUT /v1/realtime", statusClass: 2, outcome: "valid", requests: 8, cost: 0, bytes: 16 },
    ];
    expect(await minuteRows(k.id)).toEqual(want);
  });

  it("a client message refused by the rate limit counts as a WS-IN 429 costing nothing, with its bytes", async () => {
    // A bucket of 3: the upgrade and two messages spend it; the third message is refused (4029).
    const k = await realtimeKey({ rateLimit: { capacity: 3, refillPerSecond: 0.1 } });
    const o = await openSocket("/v1/realtime/echo", { key: k.key });
    const closing = closeEvent(o.ws!);
    o.ws!.send("a1");
    o.ws!.send("b22");
    await nextMessages(o, 2);
    o.ws!.send("c333");
    expect((await closing).code).toBe(4029);
    await flushAnalytics([{ id: k.id, tenantId: k.tenantId }]);
    const rows = await minuteRows(k.id);
    expect(rows.filter((r) => r.route !== "WS-IN /v1/realtime" || r.statusClass === 2)).toEqual([
      { route: "GET /v1/realtime", statusClass: 1, outcome: "valid", requests: 1, cost: 1, bytes: 0 },
      { route: "WS-IN /v1/realtime", statusClass: 2, outcome: "valid", requests: 2, cost: 2, bytes: 5 },
      { route: "WS-OUT /v1/realtime", statusClass: 2, outcome: "valid", requests: 2, cost: 0, bytes: 5 },
    ]);
    const refused = rows.filter((r) => r.route === "WS-IN /v1/realtime" && r.statusClass === 4);
    expect(refused).toEqual([{ route: "WS-IN /v1/realtime", statusClass: 4, outcome: expect.any(String), requests: 1, cost: 0, bytes: 4 }]);
    expect(refused[0]!.outcome).not.toBe("valid");
  });

  it("hot messages make no D1 or KV call, and Durable Object calls far fewer than messages", async () => {
    const k = await realtimeKey();
    const { env: counted, calls } = countingEnv();
    const o = await openCounted(counted, "/v1/realtime/echo", k.key);
    expect(o.res.status).toBe(101);
    // Warm: the first message may take the isolate's first lease for the key.
    o.ws!.send("warm");
    await nextMessages(o, 1);
    const before = { ...calls };
    const N = 100;
    for (let i = 0; i < N; i++) o.ws!.send(`hot ${i}`);
    await nextMessages(o, N + 1, 5000);
    const during = { d1: calls.d1 - before.d1, kv: calls.kv - before.kv, durableObject: calls.durableObject - before.durableObject };
    expect(during.d1, JSON.stringify(calls.log)).toBe(0);
    expect(during.kv, JSON.stringify(calls.log)).toBe(0);
    // Leases are renewed in blocks of tokens; a call per message would be ≥ N.
    expect(during.durableObject, JSON.stringify(calls.log)).toBeLessThanOrEqual(N / 10);
    const closing = closeEvent(o.ws!);
    o.ws!.close(1000, "done");
    await closing;
  });
});

type Calls = { d1: number; kv: number; durableObject: number; log: string[] };

/**
 * The test env with D1, KV and both Durable Object namespaces counting every call the Worker makes
 * through them, for the life of the connection (its relay keeps using the upgrade's stores).
 */
function countingEnv(): { env: Env; calls: Calls } {
  const calls: Calls = { d1: 0, kv: 0, durableObject: 0, log: [] };
  const note = (kind: "d1" | "kv" | "durableObject", what: string) => {
    calls[kind]++;
    calls.log.push(`${kind}:${what}`);
  };
  const unwrapped = new WeakMap<object, D1PreparedStatement>();
  const statement = (stmt: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind") return (...v: unknown[]) => statement(target.bind(...v), sql);
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (["first", "all", "run", "raw"].includes(prop as string)) {
          return (...args: unknown[]) => {
            note("d1", sql.slice(0, 40));
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return value.bind(target);
      },
    });
    unwrapped.set(proxy, stmt);
    return proxy;
  };
  const db = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => statement(target.prepare(sql), sql);
      if (prop === "batch") {
        return (stmts: D1PreparedStatement[]) => {
          note("d1", `batch of ${stmts.length}`);
          return target.batch(stmts.map((s) => unwrapped.get(s) ?? s));
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const kv = new Proxy(env.KEY_CACHE, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        note("kv", String(prop));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  // Typed loosely on purpose: the stubs' RPC types are too deep for a generic Proxy.
  type Namespace = { get(id: DurableObjectId): object };
  const namespace = <N>(ns: N, name: string): N =>
    new Proxy(ns as Namespace, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (prop !== "get") return typeof value === "function" ? value.bind(target) : value;
        return (id: DurableObjectId) => {
          const stub = target.get(id);
          return new Proxy(stub, {
            get(s, method) {
              const m = Reflect.get(s, method);
              if (typeof m !== "function" || typeof method === "symbol") return m;
              return (...args: unknown[]) => {
                note("durableObject", `${name}.${String(method)}`);
                return Reflect.apply(m, s, args);
              };
            },
          });
        };
      },
    }) as N;
  const counted = { ...env, DB: db, KEY_CACHE: kv, KEY_LIMITER: namespace(env.KEY_LIMITER, "key"), TENANT_QUOTA: namespace(env.TENANT_QUOTA, "tenant") } as Env;
  return { env: counted, calls };
}

/** openSocket, but through the Worker's handler with the env given. */
async function openCounted(e: Env, path: string, key: string): Promise<Opened> {
  const headers = new Headers({ upgrade: "websocket", authorization: `Bearer ${key}`, "cf-connecting-ip": `198.51.100.${Math.floor(Math.random() * 250) + 1}` });
  const res = await worker.fetch!(new Request(BASE + path, { headers }) as Request<unknown, IncomingRequestCfProperties>, e, createExecutionContext());
  const ws = res.webSocket!;
  const messages: (string | ArrayBuffer)[] = [];
  ws.binaryType = "arraybuffer";
  ws.addEventListener("message", (ev) => messages.push(ev.data as string | ArrayBuffer));
  ws.accept();
  return { res, ws, messages, closed: closeEvent(ws, 30_000).catch(() => ({ code: 0, reason: "" })) };
}
