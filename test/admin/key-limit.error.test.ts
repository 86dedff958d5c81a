// The limit is not a door that opens once: an expired key given a new expiry comes back only if
// there is room, checked inside the UPDATE as a create's is inside its INSERT.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { countRows, expectProblem, inOneHour, patch } from "../support/admin.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const expireNow = (id: string) => env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?").bind(Date.now() - 1000, id).run();

describe("maxKeys and expired keys", () => {
  it("a new expiry (or none) cannot bring an expired key back past the limit: 409, nothing written", async () => {
    const { admin } = await tenantWithAdmin(platform, { plan: "free", maxKeys: 2 });
    const k = await createKey(admin, { scopes: ["query"], expiresAt: inOneHour() });
    await expireNow(k.id);
    expect((await call("/v1/keys", { key: admin, body: { name: "replacement", scopes: ["query"] } })).status).toBe(201);
    const before = await countRows("SELECT count(*) AS n FROM audit_log WHERE target_id = ?", k.id);
    for (const expiresAt of [inOneHour(), null]) {
      const problem = await expectProblem(await patch(`/v1/keys/${k.id}`, admin, { expiresAt, name: "revived" }), 409, "key-limit-reached");
      expect(problem.maxKeys).toBe(2);
    }
    expect(await countRows("SELECT count(*) AS n FROM audit_log WHERE target_id = ?", k.id)).toBe(before);
    const row = await json(await call(`/v1/keys/${k.id}`, { key: admin }));
    expect(row.name).toBe(k.name);
    expect(Date.parse(row.expiresAt)).toBeLessThan(Date.now());
    expect((await call("/v1/auth/me", { key: k.key })).status).toBe(401);
    // Other changes to the expired key are not held to the limit.
    expect((await patch(`/v1/keys/${k.id}`, admin, { description: "expired on purpose" })).status).toBe(200);
  });

  it("a live key's expiry changes freely at the limit", async () => {
    const { admin } = await tenantWithAdmin(platform, { plan: "free", maxKeys: 2 });
    const k = await createKey(admin, { scopes: ["query"] });
    expect((await patch(`/v1/keys/${k.id}`, admin, { expiresAt: inOneHour() })).status).toBe(200);
    expect((await patch(`/v1/keys/${k.id}`, admin, { expiresAt: null })).status).toBe(200);
  });

  it("racing creates still stop at the limit when expired keys are around", async () => {
    const { tenant, admin } = await tenantWithAdmin(platform, { maxKeys: 3 });
    const old = await createKey(admin, { scopes: ["query"], expiresAt: inOneHour() });
    await expireNow(old.id);
    const creates = await Promise.all(Array.from({ length: 6 }, (_, i) => call("/v1/keys", { key: admin, body: { name: `race-${i}`, scopes: ["query"] } })));
    expect(creates.filter((r) => r.status === 201)).toHaveLength(2);
    for (const r of creates.filter((r) => r.status !== 201)) await expectProblem(r, 409, "key-limit-reached");
    expect(await countRows("SELECT count(*) AS n FROM api_keys WHERE tenant_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)", tenant.id, Date.now())).toBe(3);
  });
});
