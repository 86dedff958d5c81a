// What a client sees: IETF RateLimit fields on every authenticated response, in valid Structured
// Fields syntax, plus the legacy X-RateLimit-* trio.
import { beforeAll, describe, expect, it } from "vitest";
import { platformKey, tenantWithAdmin } from "../../support/gateway.ts";
import { call, keyWithLimit, rateLimitFields } from "../../support/limits.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

describe("rate-limit fields", () => {
  it("describe the bucket and count down", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await keyWithLimit(admin, { rateLimit: { capacity: 20, refillPerSecond: 10 } });
    const first = await call("/v1/permission-sets", { key: k.key });
    expect(first.status).toBe(200);
    const { policy, state } = rateLimitFields(first);
    expect(policy.burst).toEqual({ q: 20, w: 2 });
    expect(state.burst!.r).toBeGreaterThanOrEqual(18);
    expect(state.burst!.r).toBeLessThanOrEqual(19);
    expect(typeof state.burst!.t).toBe("number");
    expect(first.headers.get("x-ratelimit-limit")).toBe("20");
    expect(Number(first.headers.get("x-ratelimit-remaining"))).toBe(state.burst!.r);
    expect(first.headers.get("x-ratelimit-reset")).toBe(String(state.burst!.t));

    const second = await call("/v1/permission-sets", { key: k.key });
    expect(rateLimitFields(second).state.burst!.r).toBeLessThan(state.burst!.r as number);
  });

  it("add the month policy when a quota applies", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await keyWithLimit(admin, { monthlyQuota: 1000 });
    const res = await call("/v1/permission-sets", { key: k.key });
    const { policy, state } = rateLimitFields(res);
    expect(policy.month).toEqual({ q: 1000, w: 2592000 });
    expect(state.month!.r).toBeLessThanOrEqual(999);
    expect(state.month!.t).toBeGreaterThan(0);
  });

  it("appear on responses refused before admission: a missing scope, an unknown route", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const reader = await keyWithLimit(admin, { permissionSet: "read_only" });
    const forbidden = await call("/v1/keys", { key: reader.key });
    expect(forbidden.status).toBe(403);
    expect(rateLimitFields(forbidden).policy.burst).toBeDefined();
    const missing = await call("/v1/no-such-route", { key: reader.key });
    expect(missing.status).toBe(404);
    expect(rateLimitFields(missing).state.burst).toBeDefined();
  });

  it("appear on authenticated error responses too, and never on unauthenticated ones", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const notFound = await call("/v1/keys/key_0000000000000000000000", { key: admin });
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get("ratelimit")).toMatch(/^"burst";r=\d+;t=\d+/);
    const anonymous = await call("/v1/keys");
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("ratelimit")).toBeNull();
    expect(anonymous.headers.get("ratelimit-policy")).toBeNull();
  });
});
