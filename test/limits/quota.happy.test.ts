// Monthly quotas: the key's own and the tenant's shared one, distinguishable from the bucket, and
// a refused request consumes none.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { monthOf } from "../../src/limits/month.ts";
import { platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { call, json, keyWithLimit, rateLimitFields } from "../support/limits.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const PROBE = "/v1/permission-sets";

describe("monthly quotas", () => {
  it("a key's quota refuses the request past it with violated-policies [month]", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await keyWithLimit(admin, { monthlyQuota: 5 });
    for (let i = 0; i < 5; i++) expect((await call(PROBE, { key: k.key })).status).toBe(200);
    const refused = await call(PROBE, { key: k.key });
    expect(refused.status).toBe(429);
    const body = await json(refused);
    expect(body.type).toBe("https://iana.org/assignments/http-problem-types#quota-exceeded");
    expect(body["violated-policies"]).toEqual(["month"]);
    const { state } = rateLimitFields(refused);
    expect(state.month).toMatchObject({ r: 0 });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(state.month!.t as number);
  });

  it("a tenant's quota is shared by its keys and held exactly under concurrency", async () => {
    const { admin } = await tenantWithAdmin(platform, { plan: "free", monthlyQuota: 12 });
    const keys = await Promise.all([1, 2, 3].map(() => keyWithLimit(admin, {})));
    const responses = await Promise.all(keys.flatMap((k) => Array.from({ length: 10 }, () => call(PROBE, { key: k.key }))));
    const ok = responses.filter((r) => r.status === 200).length;
    // The admin key spent one unit creating each key.
    expect(ok + 3).toBeLessThanOrEqual(12);
    const refused = responses.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    const bodies = await Promise.all(refused.map((r) => json(r)));
    expect(new Set(bodies.map((b) => b["violated-policies"][0]))).toContain("month");
  });

  it("refused requests consume no quota", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await keyWithLimit(admin, { monthlyQuota: 100, rateLimit: { capacity: 2, refillPerSecond: 0.01 } });
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await call(PROBE, { key: k.key })).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    const last = await call(PROBE, { key: k.key });
    expect(last.status).toBe(429);
    expect((await json(last))["violated-policies"]).toEqual(["burst"]);
    expect(rateLimitFields(last).state.month).toMatchObject({ r: 98 });
  });

  it("a request that fails authentication reveals and consumes nothing", async () => {
    const { tenant } = await tenantWithAdmin(platform, { monthlyQuota: 50 });
    const res = await call(PROBE, { key: "kg_live_" + "x".repeat(38) });
    expect(res.status).toBe(401);
    expect(res.headers.get("ratelimit")).toBeNull();
    const used = await env.TENANT_QUOTA.get(env.TENANT_QUOTA.idFromName(tenant.id)).used(monthOf(Date.now()));
    expect(used).toBe(0); // the admin key was created by the platform key, outside this tenant
  });
});
