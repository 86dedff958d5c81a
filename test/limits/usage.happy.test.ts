// Usage without per-request writes: isolates hand counts to the key's object with their lease
// calls, the object flushes them to D1 on an alarm, and a flush that runs twice counts once.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { addSample, type Rollup } from "../../src/analytics/rollup.ts";
import { resetLeases } from "../../src/limits/leases.ts";
import { platformKey, storeCounts, tenantWithAdmin } from "../support/gateway.ts";
import { call, json, keyWithLimit, limiterStub } from "../support/limits.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

/** Push this isolate's pending counts to the object (a lease call carries them), then flush. */
async function flush(key: string, keyId: string) {
  resetLeases(); // so the next request asks the object, carrying the counts so far
  await call("/v1/auth/me", { key });
  return runDurableObjectAlarm(limiterStub(keyId));
}

describe("usage", () => {
  it("no D1 or KV write on the request path; counts reach D1 via the object's alarm", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await keyWithLimit(admin, { rateLimit: { capacity: 100, refillPerSecond: 50 }, permissionSet: "full_access" });
    let writes = 0;
    for (let i = 0; i < 20; i++) {
      const res = await call("/v1/permission-sets", { key: k.key });
      const c = storeCounts(res);
      if (i > 0) writes += c["d1-write"]! + c["kv-write"]!;
    }
    await call("/v1/keys/key_0000000000000000000000", { key: k.key }); // a 404
    expect(writes).toBe(0);
    expect(await flush(k.key, k.id)).toBe(true);

    const usage = await json(await call(`/v1/keys/${k.id}/usage`, { key: admin }));
    const route = usage.routes.find((r: any) => r.route === "GET /v1/permission-sets");
    expect(route).toMatchObject({ requests: 20, status2xx: 20, refused: 0 });
    expect(usage.routes.find((r: any) => r.route === "GET /v1/keys/:id")).toMatchObject({ requests: 1, status4xx: 1 });
    expect(usage.days).toHaveLength(1);
    expect(usage.totals.requests).toBe(21); // the flush helper's own request is carried by the next lease call
    expect(Date.parse(usage.lastUsedAt)).toBeGreaterThan(Date.now() - 60_000);

    const row = await env.DB.prepare("SELECT total_requests FROM api_keys WHERE id = ?").bind(k.id).first<{ total_requests: number }>();
    expect(row!.total_requests).toBe(usage.totals.requests);
  });

  it("refusals are counted as such, and the tenant summary adds up its keys by day and route", async () => {
    const { admin, tenant } = await tenantWithAdmin(platform);
    const k = await keyWithLimit(admin, { rateLimit: { capacity: 2, refillPerSecond: 0.01 } });
    for (let i = 0; i < 5; i++) await call("/v1/permission-sets", { key: k.key });
    await flush(k.key, k.id);
    const mine = await json(await call(`/v1/keys/${k.id}/usage`, { key: admin }));
    expect(mine.routes.find((r: any) => r.route === "GET /v1/permission-sets")).toMatchObject({ requests: 5, refused: 3, status2xx: 2 });

    const summary = await json(await call("/v1/usage", { key: admin }));
    expect(summary.tenantId).toBe(tenant.id);
    expect(summary.totals.requests).toBeGreaterThanOrEqual(mine.totals.requests);
    expect(summary.routes.map((r: any) => r.route)).toContain("GET /v1/permission-sets");
  });

  it("a flush that runs twice does not double count", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await keyWithLimit(admin, {});
    for (let i = 0; i < 3; i++) await call("/v1/permission-sets", { key: k.key });
    resetLeases();
    await call("/v1/auth/me", { key: k.key });
    const stub = limiterStub(k.id);
    // Run the flush, then put its batch back as if the object had crashed before forgetting it.
    const pending = await runInDurableObject(stub, (_o, state) => state.storage.kv.get("usage:pending"));
    expect(pending).toBeTruthy();
    await runDurableObjectAlarm(stub);
    const seq = await runInDurableObject(stub, (_o, state) => state.storage.kv.get<number>("usage:seq"));
    await runInDurableObject(stub, (_o, state) => state.storage.kv.put("usage:inflight", { seq, report: pending }));
    await runDurableObjectAlarm(stub);
    const rows = await env.DB.prepare("SELECT requests FROM usage_daily WHERE key_id = ? AND route = ?")
      .bind(k.id, "GET /v1/permission-sets")
      .all<{ requests: number }>();
    expect(rows.results.map((r) => r.requests)).toEqual([3]);
  });

  it("a usage report resent after a lost answer counts once", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await keyWithLimit(admin, {});
    await call("/v1/auth/me", { key: k.key }); // introduces the key to its object
    const stub = limiterStub(k.id);
    const rows: Rollup = {};
    for (let i = 0; i < 4; i++) addSample(rows, { at: Date.UTC(2026, 0, 2, 10), route: "GET /x", outcome: "valid", status: 200, latencyMs: 3, cost: 1 });
    const report = { id: "report-1", rows, lastUsedAt: 1 };
    await stub.report(report);
    await stub.report(report);
    await runDurableObjectAlarm(stub);
    const row = await env.DB.prepare("SELECT requests FROM usage_daily WHERE key_id = ? AND route = 'GET /x'").bind(k.id).first<{ requests: number }>();
    expect(row!.requests).toBe(4);
  });

  it("rejects impossible days with 422, never a 500", async () => {
    const { admin } = await tenantWithAdmin(platform);
    for (const q of ["to=2024-13-45", "from=2024-02-30", "from=2025-01-02&to=2025-01-01"]) {
      expect((await call(`/v1/usage?${q}`, { key: admin })).status, q).toBe(422);
    }
  });

  it("another tenant's key usage is 404", async () => {
    const a = await tenantWithAdmin(platform);
    const b = await tenantWithAdmin(platform);
    expect((await call(`/v1/keys/${b.adminId}/usage`, { key: a.admin })).status).toBe(404);
    const other = await call(`/v1/usage?tenantId=${b.tenant.id}`, { key: a.admin });
    expect(other.status).toBe(404);
  });
});
