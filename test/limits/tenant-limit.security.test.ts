// A tenant-wide rate limit (issue 12): one bucket shared by all of a tenant's keys, in the tenant's
// object, leased like a key's. Many keys of one tenant at once never get more than its capacity +
// refill × elapsed between them, each key still has its own bucket, and a refusal names the
// policy it broke.
import { beforeAll, describe, expect, it } from "vitest";
import { PLANS } from "../../src/tenants/plans.ts";
import { createTenant, platformKey } from "../support/gateway.ts";
import { burst, call, json, keyWithLimit, rateLimitFields } from "../support/limits.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const bound = (capacity: number, perSecond: number, ms: number) => capacity + Math.floor((perSecond * ms) / 1000);

async function tenantWithKeys(tenantRateLimit: { capacity: number; refillPerSecond: number }, keys: number) {
  const tenant = await createTenant(platform, { plan: "pro", tenantRateLimit });
  const made = await Promise.all(Array.from({ length: keys }, () => keyWithLimit(platform, { tenantId: tenant.id, permissionSet: "read_only" })));
  return { tenant, keys: made.map((k) => k.key as string) };
}

describe("the tenant's shared bucket", () => {
  it("holds four keys firing at once to capacity + refill × elapsed between them (over-admission 0)", async () => {
    const { keys } = await tenantWithKeys({ capacity: 12, refillPerSecond: 2 }, 4);
    const started = Date.now();
    const results = await Promise.all(keys.map((k) => burst(k, 60, "/v1/auth/me")));
    const elapsed = Date.now() - started;
    const admitted = results.reduce((n, r) => n + (r.counts[200] ?? 0), 0);
    const refused = results.reduce((n, r) => n + (r.counts[429] ?? 0), 0);
    expect(admitted + refused).toBe(240);
    expect(admitted).toBeLessThanOrEqual(bound(12, 2, elapsed));
    expect(admitted).toBeGreaterThanOrEqual(6);
    // Each key alone has a bucket of 200: what refused them is the tenant's.
    const bodies = await Promise.all(results.flatMap((r) => r.responses.filter((x) => x.status === 429)).map((x) => json(x)));
    expect(new Set(bodies.map((b) => JSON.stringify(b["violated-policies"])))).toEqual(new Set(['["tenant"]']));
    expect(bodies[0].detail).toMatch(/The tenant's rate limit is exceeded: its keys share a bucket of 12 requests that refills 2\/s/);
  });

  it("shows in RateLimit-Policy and RateLimit beside the key's own, and a refusal's t and Retry-After are the tenant's", async () => {
    const { keys } = await tenantWithKeys({ capacity: 2, refillPerSecond: 0.01 }, 2);
    const ok = await call("/v1/auth/me", { key: keys[0] });
    expect(ok.status).toBe(200);
    const fields = rateLimitFields(ok);
    expect(fields.policy.tenant).toEqual({ q: 2, w: 200 });
    expect(fields.policy.burst).toMatchObject({ q: PLANS.pro.rateLimit.capacity });
    expect(fields.state.tenant!.r).toBeLessThanOrEqual(1);
    await call("/v1/auth/me", { key: keys[1] });
    const refused = await call("/v1/auth/me", { key: keys[1] });
    expect(refused.status).toBe(429);
    expect((await json(refused))["violated-policies"]).toEqual(["tenant"]);
    const t = Number(rateLimitFields(refused).state.tenant!.t);
    expect(t).toBeGreaterThanOrEqual(90);
    expect(Number(refused.headers.get("retry-after"))).toBe(t);
  });

  it("each key keeps its own bucket inside the tenant's", async () => {
    const { tenant } = await tenantWithKeys({ capacity: 1_000, refillPerSecond: 500 }, 0);
    const small = await keyWithLimit(platform, { tenantId: tenant.id, permissionSet: "read_only", rateLimit: { capacity: 3, refillPerSecond: 0.01 } });
    const { counts, responses } = await burst(small.key, 20, "/v1/auth/me");
    expect(counts[200]).toBeLessThanOrEqual(3);
    expect((await json(responses.find((r) => r.status === 429)!))["violated-policies"]).toEqual(["burst"]);
  });

  it("is set by the plan unless the tenant overrides it, and an update takes effect", async () => {
    const plain = await createTenant(platform, { plan: "free" });
    expect(plain.effective.tenantRateLimit).toMatchObject(PLANS.free.tenantRateLimit);
    expect(plain.overrides.tenantRateLimit).toBeNull();
    const res = await call(`/v1/tenants/${plain.id}`, { key: platform, method: "PATCH", body: { tenantRateLimit: { capacity: 7, refillPerSecond: 1 } } });
    const updated = await json(res);
    expect(updated.overrides.tenantRateLimit).toMatchObject({ capacity: 7, refillPerSecond: 1 });
    expect(updated.effective.tenantRateLimit).toMatchObject({ capacity: 7, refillPerSecond: 1 });
    const k = await keyWithLimit(platform, { tenantId: plain.id, permissionSet: "read_only" });
    expect(rateLimitFields(await call("/v1/auth/me", { key: k.key })).policy.tenant).toEqual({ q: 7, w: 7 });
  });
});
