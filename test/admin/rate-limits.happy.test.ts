// Limits as people state them (issue 12): "60 requests per minute" as well as a bucket's capacity
// and refill, for keys and tenants alike; responses show both forms.
import { beforeAll, describe, expect, it } from "vitest";
import { rateView } from "../../src/admin/rate-limits.ts";
import { expectProblem } from "../support/admin.ts";
import { call, createKey, createTenant, json, platformKey } from "../support/gateway.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

describe("{requests, per}", () => {
  it("is a bucket of `requests` that refills in one `per`, for a tenant's two buckets and a key's", async () => {
    const t = await createTenant(platform, { plan: "pro", rateLimit: { requests: 60, per: "minute" }, tenantRateLimit: { requests: 3600, per: "hour" } });
    expect(t.overrides.rateLimit).toEqual({ capacity: 60, refillPerSecond: 1, requests: 60, per: "minute" });
    expect(t.overrides.tenantRateLimit).toEqual({ capacity: 3600, refillPerSecond: 1, requests: 3600, per: "hour" });
    const k = await createKey(platform, { tenantId: t.id, scopes: ["query"], rateLimit: { requests: 10, per: "second" } });
    expect(k.rateLimit).toEqual({ capacity: 10, refillPerSecond: 10, requests: 10, per: "second" });
    const daily = await json(await call(`/v1/keys/${k.id}`, { key: platform, method: "PATCH", body: { rateLimit: { requests: 5, per: "day" } } }));
    expect(daily.rateLimit).toMatchObject({ capacity: 5, requests: 5, per: "day" });
    expect(daily.rateLimit.refillPerSecond).toBeCloseTo(5 / 86_400, 12);
  });

  it("a bucket given as capacity and refill is shown as a rate too", () => {
    expect(rateView({ capacity: 60, refillPerSecond: 1 })).toEqual({ capacity: 60, refillPerSecond: 1, requests: 60, per: "minute" });
    // Not a whole unit to fill: the sustained rate in the smallest unit that counts whole requests.
    expect(rateView({ capacity: 20, refillPerSecond: 10 })).toMatchObject({ requests: 10, per: "second" });
    expect(rateView({ capacity: 50, refillPerSecond: 2.5 })).toMatchObject({ requests: 150, per: "minute" });
  });

  it("half a form, both forms at once, or an unknown unit is 422 naming the field", async () => {
    const send = (rateLimit: unknown) => call("/v1/tenants", { key: platform, body: { name: "x", slug: `x-${crypto.randomUUID().slice(0, 8)}`, rateLimit } });
    expect((await expectProblem(await send({ requests: 60 }), 422, "validation-failed")).errors).toEqual([{ path: "rateLimit.per", message: "required" }]);
    expect((await expectProblem(await send({ capacity: 60 }), 422, "validation-failed")).errors).toEqual([{ path: "rateLimit.refillPerSecond", message: "required" }]);
    const mixed = await expectProblem(await send({ capacity: 5, refillPerSecond: 1, requests: 60, per: "minute" }), 422, "validation-failed");
    expect(mixed.errors[0].message).toMatch(/either capacity and refillPerSecond, or requests and per/);
    expect((await expectProblem(await send({ requests: 60, per: "week" }), 422, "validation-failed")).errors[0].path).toBe("rateLimit.per");
  });
});
