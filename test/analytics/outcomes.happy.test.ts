// Mixed traffic of every outcome, through the real pipeline: after a flush, the rollups hold
// exactly what was sent, per key, outcome, route and status class, in every interval, and no
// request wrote D1 or KV on the way (beyond a key's first-use KV cache fill).
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { patch } from "../support/admin.ts";
import { flushAnalytics, totalsBy } from "../support/analytics-flush.ts";
import { call, createKey, json, platformKey, storeCounts, tenantWithAdmin } from "../support/gateway.ts";
import { scrape } from "../support/metrics.ts";
import { valueOf } from "../support/prometheus.ts";
import { unknownKeyArb } from "../support/hostile.ts";
import fc from "fast-check";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const ip = (n: number) => ({ "cf-connecting-ip": `203.0.113.${n}` });

describe("every request's outcome", () => {
  it("lands in the rollups exactly, per key, outcome, route and status class", async () => {
    const { admin, tenant } = await tenantWithAdmin(platform);
    const key = (body: Record<string, unknown>) => createKey(admin, { scopes: ["query"], ...body });
    const limited = await key({ rateLimit: { capacity: 3, refillPerSecond: 0.001 } });
    const quota = await key({ monthlyQuota: 2 });
    const revoked = await key({});
    const disabled = await key({});
    const expiring = await key({ expiresAt: new Date(Date.now() + 1500).toISOString() });
    const reader = await key({ scopes: ["jobs:read"] });
    const inactive = await tenantWithAdmin(platform);
    const sleeper = await createKey(inactive.admin, { scopes: ["query"] });

    let hotWrites = 0;
    const send = async (path: string, k?: string, headers: Record<string, string> = {}) => {
      const res = await call(path, { key: k, headers });
      const c = storeCounts(res);
      // A key's first request fills the KV copy of it (a cache fill, not a count); nothing else writes.
      hotWrites += (c["d1-write"] ?? 0) + Math.max(0, (c["kv-write"] ?? 0) - (c["kv-read"] ?? 0));
      await res.arrayBuffer();
      return res.status;
    };

    for (let i = 0; i < 3; i++) expect(await send("/v1/echo", limited.key)).toBe(200);
    for (let i = 0; i < 2; i++) expect(await send("/v1/echo", limited.key)).toBe(429);
    for (let i = 0; i < 2; i++) expect(await send("/v1/echo", quota.key)).toBe(200);
    expect(await send("/v1/echo", quota.key)).toBe(429);
    expect(await send("/v1/echo", reader.key)).toBe(403);
    expect(await send("/v1/down", quota.key)).toBe(429); // quota spent: refused before the origin
    const origin = await key({});
    expect(await send("/v1/down", origin.key)).toBe(502);
    expect(await send("/v1/keys/key_0000000000000000000000", admin)).toBe(404);
    expect(await send("/v1/keys?limit=abc", admin)).toBe(422);
    const writesBeforeAdmin = hotWrites;

    expect((await call(`/v1/keys/${revoked.id}/revoke`, { key: admin, body: { reason: "test" } })).status).toBe(200);
    expect((await patch(`/v1/keys/${disabled.id}`, admin, { enabled: false })).status).toBe(200);
    expect((await patch(`/v1/tenants/${inactive.tenant.id}`, platform, { active: false })).status).toBe(200);
    hotWrites = writesBeforeAdmin;
    for (let i = 0; i < 2; i++) expect(await send("/v1/echo", revoked.key, ip(10))).toBe(401);
    expect(await send("/v1/echo", disabled.key, ip(11))).toBe(401);
    expect(await send("/v1/echo", sleeper.key, ip(12))).toBe(403);
    await new Promise((r) => setTimeout(r, 1600));
    expect(await send("/v1/echo", expiring.key, ip(13))).toBe(401);

    expect(await send("/v1/echo", undefined, ip(20))).toBe(401);
    expect(await send("/v1/echo", undefined, ip(21))).toBe(401);
    expect(await send("/v1/echo", "kg_live_nope", ip(22))).toBe(401);
    const guessed = fc.sample(unknownKeyArb, 1)[0]!;
    expect(await send("/v1/echo", guessed, { "cf-connecting-ip": "2001:db8:7:1::5" })).toBe(401);
    expect(hotWrites).toBe(0);

    const before = await keylessTotals();
    await flushAnalytics([limited, quota, revoked, disabled, expiring, reader, origin].map((k) => ({ id: k.id, tenantId: tenant.id })).concat({ id: sleeper.id, tenantId: inactive.tenant.id }));

    for (const table of ["analytics_minute", "analytics_hour", "analytics_day"]) {
      const of = (k: { id: string }) => totalsBy(table, "outcome", "key_id = ?", k.id);
      expect(await of(limited), table).toEqual({ valid: 3, rate_limited: 2 });
      expect(await of(quota)).toEqual({ valid: 2, quota_exceeded: 2 });
      expect(await of(reader)).toEqual({ forbidden: 1 });
      expect(await of(origin)).toEqual({ origin_error: 1 });
      expect(await of(revoked)).toEqual({ revoked: 2 });
      expect(await of(disabled)).toEqual({ disabled: 1 });
      expect(await of(expiring)).toEqual({ expired: 1 });
      expect(await of(sleeper)).toEqual({ tenant_inactive: 1 });
      const adminId = (await env.DB.prepare("SELECT id FROM api_keys WHERE tenant_id = ? AND name LIKE 'k-%' AND scopes LIKE '%admin%'").bind(tenant.id).first<{ id: string }>())!.id;
      await flushAnalytics([{ id: adminId, tenantId: tenant.id }]);
      expect((await of({ id: adminId })).invalid_request).toBe(2);
    }
    // By route and status class, and the cost in tokens charged (the route's cost for each admitted request).
    expect(await totalsBy("analytics_day", "route", "key_id = ?", limited.id)).toEqual({ "GET /v1/echo": 5 });
    // Refused at authentication, a known key's request was never matched to a route.
    expect(await totalsBy("analytics_day", "route", "key_id = ?", revoked.id)).toEqual({ "(unauthenticated)": 2 });
    expect(await totalsBy("analytics_day", "status_class", "key_id = ?", quota.id)).toEqual({ "2": 2, "4": 2 });
    const cost = await env.DB.prepare("SELECT sum(cost) AS c FROM analytics_day WHERE key_id = ?").bind(limited.id).first<{ c: number }>();
    expect(cost!.c).toBe(3);

    // The same counts through the API a tenant admin reads, and the scrape Prometheus reads.
    const series = await json(await call("/v1/analytics?interval=day&groupBy=outcome&from=2020-01-01T00:00:00Z", { key: admin }));
    const byOutcome = Object.fromEntries(series.data.map((p: any) => [p.outcome, p.requests]));
    expect(byOutcome).toMatchObject({ rate_limited: 2, quota_exceeded: 2, forbidden: 1, origin_error: 1, revoked: 2, disabled: 1, expired: 1, invalid_request: 2 });
    expect(byOutcome.valid).toBeGreaterThanOrEqual(5); // the keys' 5, and the admin's own calls
    expect(byOutcome.tenant_inactive).toBeUndefined(); // another tenant's key
    const metrics = await scrape(platform);
    expect(valueOf(metrics, "keygate_requests_total", { tenant: tenant.id, route: "GET /v1/echo", outcome: "rate_limited" })).toBe(2);
    expect(valueOf(metrics, "keygate_requests_total", { tenant: tenant.id, route: "GET /v1/echo", outcome: "quota_exceeded" })).toBe(1);
    expect(valueOf(metrics, "keygate_requests_total", { tenant: inactive.tenant.id, route: "(unauthenticated)", outcome: "tenant_inactive" })).toBe(1);

    const after = await keylessTotals();
    expect(diff(after, before)).toEqual({ missing_credential: 2, malformed_key: 1, unknown_key: 1 });
    const nets = await totalsBy("auth_failure_networks", "network || ' ' || outcome", "network IN ('203.0.113.0/24', '2001:db8:7::/48')");
    expect(nets["203.0.113.0/24 missing_credential"]).toBeGreaterThanOrEqual(2);
    expect(nets["203.0.113.0/24 revoked"]).toBeGreaterThanOrEqual(2);
    expect(nets["203.0.113.0/24 expired"]).toBeGreaterThanOrEqual(1);
    expect(nets["2001:db8:7::/48 unknown_key"]).toBe(1);
  }, 30_000);
});

async function keylessTotals() {
  return totalsBy("analytics_day", "outcome", "key_id = ''");
}

function diff(a: Record<string, number>, b: Record<string, number>) {
  return Object.fromEntries(Object.entries(a).map(([k, n]) => [k, n - (b[k] ?? 0)]).filter(([, n]) => n !== 0));
}
