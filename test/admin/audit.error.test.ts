// The audit row is written in the same batch as the change: when it cannot be written, the change
// does not happen either. A trigger makes every audit INSERT fail (storage is per file, so this
// file's trigger touches no other suite).
import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "../../src/keys/hash.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { countRows, expectProblem, patch } from "../support/admin.ts";

let platform: string;
let fixture: { tenant: any; admin: string; adminId: string };
let victim: any;

const failAudit = () =>
  env.DB.prepare("CREATE TRIGGER audit_down BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit store down: secret detail'); END").run();
const restoreAudit = () => env.DB.prepare("DROP TRIGGER IF EXISTS audit_down").run();

beforeAll(async () => {
  platform = await platformKey();
  fixture = await tenantWithAdmin(platform, { plan: "free" });
  victim = await createKey(fixture.admin, { name: "victim", scopes: ["query"] });
  expect((await call("/v1/auth/me", { key: victim.key })).status).toBe(200);
  await failAudit();
});
afterAll(restoreAudit);

/** 503 store-unavailable (retryable; D1 refused the batch), opaque: no SQL, no trigger message, no stack. */
async function expectOpaqueStoreFailure(res: Response) {
  const problem = await expectProblem(res, 503, "store-unavailable");
  expect(JSON.stringify(problem)).not.toMatch(/audit|SQL|trigger|secret detail/i);
}

describe("audit: a change whose audit row cannot be written does not happen", () => {
  it("key create", async () => {
    const before = await countRows("SELECT count(*) AS n FROM api_keys");
    const secretsBefore = await countRows("SELECT count(*) AS n FROM key_secrets");
    await expectOpaqueStoreFailure(await call("/v1/keys", { key: fixture.admin, body: { name: "never", scopes: ["query"] } }));
    expect(await countRows("SELECT count(*) AS n FROM api_keys")).toBe(before);
    expect(await countRows("SELECT count(*) AS n FROM key_secrets")).toBe(secretsBefore);
  });

  it("key update", async () => {
    await expectOpaqueStoreFailure(await patch(`/v1/keys/${victim.id}`, fixture.admin, { name: "changed", enabled: false }));
    const row = await env.DB.prepare("SELECT name, enabled FROM api_keys WHERE id = ?").bind(victim.id).first();
    expect(row).toEqual({ name: "victim", enabled: 1 });
    expect((await call("/v1/auth/me", { key: victim.key })).status).toBe(200);
  });

  it("key revoke", async () => {
    await expectOpaqueStoreFailure(await call(`/v1/keys/${victim.id}/revoke`, { key: fixture.admin, body: { reason: "x" } }));
    const row = await env.DB.prepare("SELECT revoked_at FROM api_keys WHERE id = ?").bind(victim.id).first();
    expect(row).toEqual({ revoked_at: null });
    expect((await call("/v1/auth/me", { key: victim.key })).status).toBe(200);
  });

  it("key roll", async () => {
    await expectOpaqueStoreFailure(await call(`/v1/keys/${victim.id}/roll`, { key: fixture.admin, body: { gracePeriodSeconds: 0 } }));
    expect(await countRows("SELECT count(*) AS n FROM key_secrets WHERE key_id = ?", victim.id)).toBe(1);
    const secret = await env.DB.prepare("SELECT expires_at FROM key_secrets WHERE hash = ?").bind(await hashKey(victim.key)).first();
    expect(secret).toEqual({ expires_at: null });
    expect((await call("/v1/auth/me", { key: victim.key })).status).toBe(200);
  });

  it("tenant create and update", async () => {
    const before = await countRows("SELECT count(*) AS n FROM tenants");
    await expectOpaqueStoreFailure(await call("/v1/tenants", { key: platform, body: { name: "Never", slug: "never-created" } }));
    expect(await countRows("SELECT count(*) AS n FROM tenants")).toBe(before);

    await expectOpaqueStoreFailure(await patch(`/v1/tenants/${fixture.tenant.id}`, platform, { active: false, plan: "enterprise" }));
    const t = await json(await call(`/v1/tenants/${fixture.tenant.id}`, { key: platform }));
    expect(t).toMatchObject({ active: true, plan: "free" });
    expect((await call("/v1/auth/me", { key: fixture.admin })).status).toBe(200);
  });

  it("and works again once the audit store does", async () => {
    await restoreAudit();
    const res = await patch(`/v1/keys/${victim.id}`, fixture.admin, { name: "changed" });
    expect(res.status).toBe(200);
    expect(await countRows("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'key.update'", victim.id)).toBe(1);
  });
});
