// A key that never reaches admission (an unknown route, a wrong method, a scope it lacks) is
// limited and counted all the same, from the isolate's lease: an exhausted key gets 429 there
// too, and a stream of such requests costs no object call per request.
import { runDurableObjectAlarm } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { resetLeases } from "../../../src/limits/leases.ts";
import { platformKey, storeCounts, tenantWithAdmin } from "../../support/gateway.ts";
import { call, json, keyWithLimit, limiterStub, rateLimitFields } from "../../support/limits.ts";

let platform: string;
let admin: string;
beforeAll(async () => {
  platform = await platformKey();
  ({ admin } = await tenantWithAdmin(platform));
});

const slow = (capacity: number) => ({ rateLimit: { capacity, refillPerSecond: 0.001 } });

describe("requests that never reach admission", () => {
  it("each spends one token: a 404, a 405 and a scope refusal count down the same bucket", async () => {
    const k = await keyWithLimit(admin, { ...slow(5), permissionSet: "read_only" });
    const answers = [await call("/v1/nope", { key: k.key }), await call("/v1/keys", { key: k.key, method: "PUT" }), await call("/v1/keys", { key: k.key })];
    expect(answers.map((r) => r.status)).toEqual([404, 405, 403]);
    expect(answers.map((r) => rateLimitFields(r).state.burst!.r)).toEqual([4, 3, 2]);
  });

  it("an exhausted key gets 429 with the true wait instead of 404, 405 or 403", async () => {
    const k = await keyWithLimit(admin, { ...slow(1), permissionSet: "read_only" });
    expect((await call("/v1/nope", { key: k.key })).status).toBe(404);
    for (const [path, method] of [
      ["/v1/nope", "GET"],
      ["/v1/keys", "PUT"],
      ["/v1/keys", "GET"],
      ["/v1/query/not-a-route-method", "DELETE"],
    ] as const) {
      const res = await call(path, { key: k.key, method });
      expect(res.status, `${method} ${path}`).toBe(429);
      expect((await json(res))["violated-policies"]).toEqual(["burst"]);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(990);
    }
  });

  it("a stream of them is served from the lease: no object call per request", async () => {
    const k = await keyWithLimit(admin, { rateLimit: { capacity: 200, refillPerSecond: 100 } });
    resetLeases();
    let objectCalls = 0;
    for (let i = 0; i < 60; i++) {
      const res = await call(`/v1/nope/${i}`, { key: k.key });
      expect(res.status).toBe(404);
      objectCalls += storeCounts(res)["do-call"] ?? 0;
    }
    expect(objectCalls).toBeLessThanOrEqual(3);
  });

  it("they are counted in the key's usage, under the route they named or '(no route)'", async () => {
    const k = await keyWithLimit(admin, { rateLimit: { capacity: 100, refillPerSecond: 50 }, permissionSet: "read_only" });
    for (let i = 0; i < 3; i++) await call("/v1/nope", { key: k.key });
    await call("/v1/keys", { key: k.key }); // 403: read_only lacks admin
    resetLeases(); // the next request asks the object, carrying the counts so far
    await call("/v1/nope", { key: k.key });
    expect(await runDurableObjectAlarm(limiterStub(k.id))).toBe(true);
    const usage = await json(await call(`/v1/keys/${k.id}/usage`, { key: admin }));
    expect(usage.routes.find((r: any) => r.route === "GET (no route)")).toMatchObject({ requests: 3, status4xx: 3 });
    expect(usage.routes.find((r: any) => r.route === "GET /v1/keys")).toMatchObject({ requests: 1, status4xx: 1 });
  });
});
