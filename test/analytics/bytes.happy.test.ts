// WebSocket messages' bytes on their way to the rollups: summed like requests and cost in every
// interval, 0 for HTTP and keyless traffic, and counts from the release before bytes (isolates'
// reports, an object's pending or inflight flush) merge and flush as 0 rather than NaN or a
// failed batch.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { countKeyless, flushKeyless } from "../../src/analytics/keyless.ts";
import { addCounts, addSample, emptyCounts, HOUR_MS, MINUTE_MS, type Counts, type Rollup, type Sample } from "../../src/analytics/rollup.ts";
import { rollupStatements } from "../../src/analytics/rollup-statements.ts";
import { acceptUsage } from "../../src/limits/usage-inbox.ts";
import { flushUsage } from "../../src/limits/usage-flush.ts";
import { privateDay } from "../support/analytics-seed.ts";

const T0 = privateDay() + 10 * HOUR_MS;
const ws = (at: number, route: string, bytes: number, over: Partial<Sample> = {}): Sample => ({ at, route, outcome: "valid", status: 200, latencyMs: 0, cost: 1, bytes, ...over });

/** Counts as the release before bytes made them: no bytes field at all. */
function legacyCounts(requests: number, cost: number): Counts {
  const { bytes: _bytes, ...rest } = { ...emptyCounts(), requests, cost };
  return rest as Counts;
}

/** A key object's synchronous KV, in memory: what flushUsage and acceptUsage read and write. */
function memoryKv(): SyncKvStorage {
  const m = new Map<string, unknown>();
  return {
    get: (k: string) => structuredClone(m.get(k)),
    put: (k: string, v: unknown) => void m.set(k, structuredClone(v)),
    delete: (k: string) => m.delete(k),
  } as unknown as SyncKvStorage;
}

async function sums(table: string, keyId: string) {
  const rows = await env.DB.prepare(`SELECT route, sum(requests) AS requests, sum(cost) AS cost, sum(bytes) AS bytes FROM ${table} WHERE key_id = ? GROUP BY route ORDER BY route`)
    .bind(keyId)
    .all<{ route: string; requests: number; cost: number; bytes: number }>();
  return rows.results.map((r) => [r.route, r.requests, r.cost, r.bytes]);
}

describe("rollup bytes", () => {
  it("addSample sums bytes per slot; a sample without bytes (HTTP) adds 0", () => {
    const rows: Rollup = {};
    addSample(rows, ws(T0, "WS-IN /v1/realtime", 100));
    addSample(rows, ws(T0 + 1000, "WS-IN /v1/realtime", 28));
    addSample(rows, { at: T0, route: "GET /v1/echo", outcome: "valid", status: 200, latencyMs: 3, cost: 1 });
    expect(Object.values(rows).map((c) => [c.requests, c.bytes])).toEqual([
      [2, 128],
      [1, 0],
    ]);
  });

  it("addCounts: counts without bytes (the release before) merge as 0, into or from", () => {
    const into = legacyCounts(2, 2);
    addCounts(into, { ...emptyCounts(), requests: 1, bytes: 50 });
    expect([into.requests, into.bytes]).toEqual([3, 50]);
    const fresh = emptyCounts();
    addCounts(fresh, legacyCounts(4, 1));
    expect([fresh.requests, fresh.bytes]).toEqual([4, 0]);
  });

  it("written to the minute, hour and day tables, added to on conflict, the same total in each", async () => {
    const keyId = `key_bytes${crypto.randomUUID().slice(0, 8)}`;
    const first: Rollup = {};
    addSample(first, ws(T0, "WS-IN /v1/realtime", 1000));
    addSample(first, ws(T0 + MINUTE_MS, "WS-IN /v1/realtime", 24));
    addSample(first, ws(T0 + MINUTE_MS, "WS-OUT /v1/realtime", 4096, { cost: 0 }));
    addSample(first, { at: T0, route: "GET /v1/realtime", outcome: "valid", status: 101, latencyMs: 40, cost: 2 });
    const second: Rollup = {};
    addSample(second, ws(T0, "WS-IN /v1/realtime", 1));
    for (const rows of [first, second]) await env.DB.batch(rollupStatements(env.DB, { tenantId: "ten_bytes", keyId }, rows));
    const want = [
      ["GET /v1/realtime", 1, 2, 0],
      ["WS-IN /v1/realtime", 3, 3, 1025],
      ["WS-OUT /v1/realtime", 1, 0, 4096],
    ];
    for (const table of ["analytics_minute", "analytics_hour", "analytics_day"]) expect(await sums(table, keyId), table).toEqual(want);
    const minutes = await env.DB.prepare("SELECT bucket, bytes FROM analytics_minute WHERE key_id = ? AND route = 'WS-IN /v1/realtime' ORDER BY bucket").bind(keyId).all();
    expect(minutes.results).toEqual([
      { bucket: T0, bytes: 1001 },
      { bucket: T0 + MINUTE_MS, bytes: 24 },
    ]);
  });

  it("a key object's flush: an old release's pending report and inflight flush count 0 bytes, a new report its bytes", async () => {
    const who = { tenantId: "ten_bytes", keyId: `key_bytes${crypto.randomUUID().slice(0, 8)}` };
    const kv = memoryKv();
    const slot = (route: string, minute: number) => `${minute}|2|valid|${route}`;
    // Left inflight by the old release (a crash before its batch landed): retried as it is.
    kv.put("usage:seq", 1);
    kv.put("usage:inflight", { seq: 1, report: { rows: { [slot("GET /v1/echo", T0)]: legacyCounts(2, 2) }, lastUsedAt: T0 }, events: [] });
    // Pending from the old release, then a report from a new isolate on the same slot and another.
    kv.put("usage:pending", { rows: { [slot("WS-IN /v1/realtime", T0)]: legacyCounts(1, 1) }, lastUsedAt: T0 });
    const fresh: Rollup = {};
    addSample(fresh, ws(T0, "WS-IN /v1/realtime", 300));
    addSample(fresh, ws(T0, "WS-OUT /v1/realtime", 700, { cost: 0 }));
    acceptUsage(kv, { id: "report-bytes", rows: fresh, lastUsedAt: T0 });

    await flushUsage(env.DB, kv, who); // the inflight one
    await flushUsage(env.DB, kv, who); // the merged pending one
    expect(kv.get("usage:inflight")).toBeUndefined();
    expect(kv.get("usage:pending")).toBeUndefined();
    for (const table of ["analytics_minute", "analytics_day"]) {
      expect(await sums(table, who.keyId), table).toEqual([
        ["GET /v1/echo", 2, 2, 0],
        ["WS-IN /v1/realtime", 2, 2, 300],
        ["WS-OUT /v1/realtime", 1, 0, 700],
      ]);
    }
  });

  it("keyless rollups carry 0 bytes", async () => {
    const route = `(unauthenticated) bytes ${crypto.randomUUID()}`;
    countKeyless({ at: T0, route, outcome: "unknown_key", status: 401, latencyMs: 1, cost: 0 });
    await flushKeyless(env.DB);
    const row = await env.DB.prepare("SELECT key_id, requests, bytes FROM analytics_hour WHERE route = ?").bind(route).first();
    expect(row).toEqual({ key_id: "", requests: 1, bytes: 0 });
  });
});
