// A key object's usage must survive what goes wrong around it: a deploy that leaves usage of the
// previous release's shape in storage or in flight from old isolates, and a D1 that keeps failing.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { drainUsage } from "../../src/limits/usage-flush.ts";
import { faultyD1 } from "../support/faults.ts";
import { captureLogs } from "../support/hostile.ts";
import { limiterStub } from "../support/limits.ts";

const legacyReport = (id: string, route: string) => ({
  id,
  rows: { "2026-11-02|GET /legacy": { requests: 5, refused: 1, s2xx: 3, s3xx: 0, s4xx: 1, s5xx: 1 }, [`2026-11-02|${route}`]: { requests: 2, refused: 0, s2xx: 2, s3xx: 0, s4xx: 0, s5xx: 0 } },
  lastUsedAt: Date.UTC(2026, 10, 2, 9),
});

const analytics = (keyId: string) =>
  env.DB.prepare("SELECT route, outcome, status_class AS c, sum(requests) AS n FROM analytics_day WHERE key_id = ? GROUP BY route, outcome, status_class ORDER BY route, outcome")
    .bind(keyId)
    .all<{ route: string; outcome: string; c: number; n: number }>();

describe("usage across a deploy", () => {
  it("a report in the previous release's per-day shape is converted, not fatal", async () => {
    const keyId = `key_legacy${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`;
    const stub = limiterStub(keyId);
    await stub.report({ ...legacyReport("old-1", "GET /other"), keyId, tenantId: "ten_legacy" } as never);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const { results } = await analytics(keyId);
    expect(results).toEqual([
      { route: "GET /legacy", outcome: "origin_error", c: 5, n: 1 },
      { route: "GET /legacy", outcome: "rate_limited", c: 4, n: 1 },
      { route: "GET /legacy", outcome: "valid", c: 2, n: 3 },
      { route: "GET /other", outcome: "valid", c: 2, n: 2 },
    ]); // s4xx − refused = 0: no invalid_request row
    const daily = await env.DB.prepare("SELECT sum(requests) AS n, sum(refused) AS r FROM usage_daily WHERE key_id = ?").bind(keyId).first();
    expect(daily).toEqual({ n: 7, r: 1 });
  });

  it("usage stored by the previous release, pending or in flight, flushes", async () => {
    const keyId = `key_stored${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`;
    const stub = limiterStub(keyId);
    await runInDurableObject(stub, async (_o, state) => {
      state.storage.kv.put("identity", { keyId, tenantId: "ten_legacy" });
      state.storage.kv.put("usage:inflight", { seq: 1, report: legacyReport("x", "GET /a") });
      state.storage.kv.put("usage:seq", 1);
      state.storage.kv.put("usage:pending", legacyReport("y", "GET /b"));
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const daily = await env.DB.prepare("SELECT sum(requests) AS n FROM usage_daily WHERE key_id = ?").bind(keyId).first<{ n: number }>();
    expect(daily!.n).toBe(14);
    expect(await runInDurableObject(stub, (_o, state) => [state.storage.kv.get("usage:inflight"), state.storage.kv.get("usage:pending")])).toEqual([undefined, undefined]);
  });
});

describe("a flush that keeps failing", () => {
  it("is retried with growing delays by the object, then set aside, never left without an alarm", async () => {
    const logs = captureLogs();
    const keyId = `key_failing${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`;
    const stub = limiterStub(keyId);
    const { db } = faultyD1(() => "fail");
    const delays = await runInDurableObject(stub, async (_o, state) => {
      const kv = state.storage.kv;
      kv.put("usage:pending", { rows: { [`${Date.UTC(2026, 10, 2, 9)}|2|valid|GET /x`]: { requests: 1, cost: 1, latencyMs: 1, hist: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] } }, lastUsedAt: 1 });
      const out: (number | null)[] = [];
      for (let i = 0; i < 8; i++) out.push(await drainUsage(db, kv, { keyId, tenantId: "ten_x" }, 10_000));
      return { out, inflight: kv.get("usage:inflight"), failures: kv.get("usage:failures") };
    });
    expect(delays.out.slice(0, 7)).toEqual([20_000, 40_000, 80_000, 160_000, 320_000, 600_000, 600_000]);
    expect(delays.out[7]).toBeNull(); // set aside: nothing waits any more
    expect(delays.inflight).toBeUndefined();
    expect(delays.failures).toBeUndefined();
    expect(logs.lines.some((l) => l.includes("usage.flush_set_aside"))).toBe(true);
  });
});
