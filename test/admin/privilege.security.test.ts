// What a key may hand out or take over (issue 11, items 1, 2 and 9): a tenant's own keys only
// tighten its limits; no key grants or takes over a power it does not hold (jobs:report in the
// operator's tenant counts as a platform power); a secret rolled away cannot act on its own key.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { PLANS } from "../../src/tenants/plans.ts";
import { expectProblem } from "../support/admin.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const free = PLANS.free;
const post = (path: string, key: string, body: unknown) => call(path, { key, body });
const patch = (path: string, key: string, body: unknown) => call(path, { key, body, method: "PATCH" });

async function auditDetails(targetId: string, action: string): Promise<any> {
  const row = await env.DB.prepare("SELECT details FROM audit_log WHERE target_id = ? AND action = ? ORDER BY id DESC").bind(targetId, action).first<{ details: string }>();
  return JSON.parse(row!.details);
}

describe("a tenant admin and its plan's limits", () => {
  it("cannot create a key above the tenant's rate limit or quota; a platform key can", async () => {
    const { tenant, admin } = await tenantWithAdmin(platform, { plan: "free" });
    const above = [
      { rateLimit: { capacity: 1_000_000, refillPerSecond: 100_000 } },
      { rateLimit: { capacity: free.rateLimit.capacity + 1, refillPerSecond: 1 } },
      { rateLimit: { capacity: 1, refillPerSecond: free.rateLimit.refillPerSecond + 1 } },
      { monthlyQuota: free.monthlyQuota + 1 },
    ];
    for (const limits of above) {
      const body = await expectProblem(await post("/v1/keys", admin, { name: `k-${crypto.randomUUID()}`, scopes: ["query"], ...limits }), 403, "insufficient-scope");
      expect(body.detail).toMatch(/Only a platform key may set a key's limits above its tenant's/);
    }
    const tighter = await post("/v1/keys", admin, { name: "tight", scopes: ["query"], rateLimit: { capacity: 5, refillPerSecond: 1 }, monthlyQuota: 100 });
    expect(tighter.status).toBe(201);
    const lifted = await post("/v1/keys", platform, { tenantId: tenant.id, name: "lifted", scopes: ["query"], ...above[0] });
    expect(lifted.status).toBe(201);
  });

  it("a refused create leaves no key behind", async () => {
    const { admin } = await tenantWithAdmin(platform, { plan: "free" });
    expect((await post("/v1/keys", admin, { name: "greedy", scopes: ["query"], rateLimit: { capacity: 1_000_000, refillPerSecond: 100_000 } })).status).toBe(403);
    expect((await json(await call("/v1/keys", { key: admin }))).data.map((k: any) => k.name)).not.toContain("greedy");
  });

  it("cannot raise a key's limits above the tenant's by update either; tightening and resetting are fine", async () => {
    const { admin } = await tenantWithAdmin(platform, { plan: "free" });
    const k = await createKey(admin, { scopes: ["query"] });
    await expectProblem(await patch(`/v1/keys/${k.id}`, admin, { rateLimit: { capacity: 10_000, refillPerSecond: 10_000 } }), 403, "insufficient-scope");
    await expectProblem(await patch(`/v1/keys/${k.id}`, admin, { monthlyQuota: 10_000_000 }), 403, "insufficient-scope");
    expect((await patch(`/v1/keys/${k.id}`, admin, { rateLimit: { capacity: 3, refillPerSecond: 1 } })).status).toBe(200);
    expect((await patch(`/v1/keys/${k.id}`, admin, { rateLimit: null })).status).toBe(200);
  });

  it("the audit rows of create and update record the limits before and after", async () => {
    const { admin } = await tenantWithAdmin(platform, { plan: "free" });
    const k = await createKey(admin, { scopes: ["query"], rateLimit: { capacity: 4, refillPerSecond: 2 } });
    expect((await auditDetails(k.id, "key.create")).limits).toEqual({ before: null, after: { rateLimit: { capacity: 4, refillPerSecond: 2 }, monthlyQuota: null } });
    expect((await patch(`/v1/keys/${k.id}`, admin, { monthlyQuota: 50, rateLimit: null })).status).toBe(200);
    expect((await auditDetails(k.id, "key.update")).limits).toEqual({
      before: { rateLimit: { capacity: 4, refillPerSecond: 2 }, monthlyQuota: null },
      after: { rateLimit: null, monthlyQuota: 50 },
    });
  });
});

describe("an admin key of the operator's own tenant", () => {
  let operatorAdmin: string;
  let reporterId: string;
  beforeAll(async () => {
    operatorAdmin = (await createKey(platform, { name: `op-admin-${crypto.randomUUID()}`, permissionSet: "full_access" })).key;
    reporterId = (await createKey(platform, { name: `reporter-${crypto.randomUUID()}`, scopes: ["jobs:report"] })).id;
  });

  it("cannot mint a jobs:report key (a power over every tenant's jobs), by create or by update", async () => {
    await expectProblem(await post("/v1/keys", operatorAdmin, { name: `r-${crypto.randomUUID()}`, scopes: ["jobs:report"] }), 403, "insufficient-scope");
    await expectProblem(await post("/v1/keys", operatorAdmin, { name: `r-${crypto.randomUUID()}`, permissionSet: "origin_reporter" }), 403, "insufficient-scope");
    const plain = await createKey(operatorAdmin, { scopes: ["query"] });
    await expectProblem(await patch(`/v1/keys/${plain.id}`, operatorAdmin, { scopes: ["query", "jobs:report"] }), 403, "insufficient-scope");
  });

  it("cannot roll (and so receive), revoke or change the operator's reporter key", async () => {
    for (const [path, method, body] of [
      [`/v1/keys/${reporterId}/roll`, "POST", {}],
      [`/v1/keys/${reporterId}/revoke`, "POST", {}],
      [`/v1/keys/${reporterId}`, "PATCH", { enabled: false }],
    ] as const) {
      const res = await call(path, { key: operatorAdmin, method, body });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(JSON.stringify(await json(res))).not.toMatch(/kg_(live|test)_/);
    }
  });

  it("an ordinary tenant's admin may still make reporter keys for its own jobs", async () => {
    const { admin } = await tenantWithAdmin(platform);
    expect((await post("/v1/keys", admin, { name: "origin", permissionSet: "origin_reporter" })).status).toBe(201);
  });
});

describe("a secret rolled away", () => {
  it("keeps calling the API during its grace period but cannot roll, revoke or update its own key", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { permissionSet: "full_access" });
    const rolled = await json(await post(`/v1/keys/${k.id}/roll`, k.key, { gracePeriodSeconds: 3600 }));
    const old = k.key;
    expect((await call("/v1/keys", { key: old })).status).toBe(200);
    for (const [path, method, body] of [
      [`/v1/keys/${k.id}/roll`, "POST", { gracePeriodSeconds: 0 }],
      [`/v1/keys/${k.id}/revoke`, "POST", {}],
      [`/v1/keys/${k.id}`, "PATCH", { enabled: false }],
    ] as const) {
      const res = await call(path, { key: old, method, body });
      const problem = await expectProblem(res, 403, "rolled-secret");
      expect(JSON.stringify(problem)).not.toContain(rolled.key);
    }
    // The new holder is not locked out and may act on the key.
    expect((await call("/v1/auth/me", { key: rolled.key })).status).toBe(200);
    expect((await post(`/v1/keys/${k.id}/roll`, rolled.key, { gracePeriodSeconds: 0 })).status).toBe(200);
  });
});
