// What a client sees: IETF RateLimit fields on every authenticated response, in valid Structured
// Fields syntax, plus the legacy X-RateLimit-* trio where the operator turns it on.
import { createExecutionContext, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../../src/index.ts";
import { BASE, platformKey, tenantWithAdmin } from "../../support/gateway.ts";
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
    // The legacy trio is off unless LEGACY_RATELIMIT_HEADERS says so.
    for (const name of ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"]) expect(first.headers.get(name)).toBeNull();

    const second = await call("/v1/permission-sets", { key: k.key });
    expect(rateLimitFields(second).state.burst!.r).toBeLessThan(state.burst!.r as number);
  });

  it("with LEGACY_RATELIMIT_HEADERS=true, the X-RateLimit-* trio says the same as the burst fields, on a 429 too", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await keyWithLimit(admin, { rateLimit: { capacity: 2, refillPerSecond: 0.01 } });
    const legacy = { ...env, LEGACY_RATELIMIT_HEADERS: "true" } as Env;
    const send = () => worker.fetch(new Request(BASE + "/v1/permission-sets", { headers: { Authorization: `Bearer ${k.key}`, "cf-connecting-ip": "198.51.100.31" } }), legacy, createExecutionContext());
    const first = await send();
    const { state } = rateLimitFields(first);
    expect(first.headers.get("x-ratelimit-limit")).toBe("2");
    expect(Number(first.headers.get("x-ratelimit-remaining"))).toBe(state.burst!.r);
    expect(first.headers.get("x-ratelimit-reset")).toBe(String(state.burst!.t));
    await send();
    const refused = await send();
    expect(refused.status).toBe(429);
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(refused.headers.get("x-ratelimit-reset")).toBe(refused.headers.get("retry-after"));
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
