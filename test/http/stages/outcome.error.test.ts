// What a client gets wrong is counted as such: an unknown route, a wrong method, malformed JSON
// (Hono's own 400) are invalid_request, whether or not a Problem was thrown on the way.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { flushAnalytics, totalsBy } from "../../support/analytics-flush.ts";
import { call, createKey, platformKey, tenantWithAdmin } from "../../support/gateway.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

describe("the outcome of a client's mistake", () => {
  it("no route, a wrong method and malformed JSON are invalid_request", async () => {
    const { admin, tenant } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { permissionSet: "full_access" });
    expect((await call("/v1/no-such-thing", { key: k.key })).status).toBe(404);
    expect((await call("/v1/permission-sets", { key: k.key, method: "DELETE" })).status).toBe(405);
    expect((await call("/v1/keys", { key: k.key, body: "{not json", headers: { "content-type": "application/json" } })).status).toBe(400);
    await flushAnalytics([{ id: k.id, tenantId: tenant.id }]);
    expect(await totalsBy("analytics_day", "outcome", "key_id = ?", k.id)).toEqual({ invalid_request: 3 });
    expect(await totalsBy("analytics_day", "route", "key_id = ?", k.id)).toMatchObject({ "GET (no route)": 1, "POST /v1/keys": 1 });
  });

  it("a series of more than 10,000 points is a 422 asking for less, not a 503", async () => {
    const base = Date.UTC(2026, 5, 1);
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 10500)
       INSERT INTO analytics_hour (bucket, tenant_id, key_id, route, outcome, status_class, requests)
       SELECT ? + (i / 5) * 3600000, 'ten_points', 'key_pointsAAAAAAAAAAAA', 'GET /r' || (i % 5), 'valid', 2, 1 FROM n`,
    )
      .bind(base)
      .run();
    const from = new Date(base).toISOString();
    const to = new Date(base + 89 * 86_400_000).toISOString();
    const res = await call(`/v1/analytics?interval=hour&groupBy=route&keyId=key_pointsAAAAAAAAAAAA&from=${from}&to=${to}`, { key: platform });
    expect(res.status).toBe(422);
    expect((await res.json<any>()).detail).toContain("more than 10000 points");
    const fewer = await call(`/v1/analytics?interval=day&groupBy=route&keyId=key_pointsAAAAAAAAAAAA&from=${from}&to=${to}`, { key: platform });
    expect(fewer.status).toBe(200);
  });
});
