// What a client can get wrong around deletion: an unknown or malformed id, a key deleted already,
// acting on a tombstone, a key without the admin scope. Each is a problem+json, and writes nothing.
import { runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { countRows, expectProblem, inOneHour, patch } from "../support/admin.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { limiterStub } from "../support/limits.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const del = (id: string, key: string) => call(`/v1/keys/${id}`, { method: "DELETE", key });
const auditCount = () => countRows("SELECT count(*) AS n FROM audit_log");

describe("DELETE /v1/keys/{id}: refusals", () => {
  it("404 for a key that does not exist, 422 for an id that is not a key id", async () => {
    const { admin } = await tenantWithAdmin(platform);
    await expectProblem(await del("key_0000000000000000000000", admin), 404, "not-found");
    await expectProblem(await del("ten_0000000000000000000000", admin), 422, "validation-failed");
    await expectProblem(await del("nope", admin), 422, "validation-failed");
  });

  it("403 insufficient-scope for a key without the admin scope; nothing changes", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const target = await createKey(admin, { scopes: ["query"] });
    const reader = await createKey(admin, { permissionSet: "read_only" });
    const before = await auditCount();
    const problem = await expectProblem(await del(target.id, reader.key), 403, "insufficient-scope");
    expect(problem.detail).toBeTruthy();
    expect(await auditCount()).toBe(before);
    expect((await call("/v1/auth/me", { key: target.key })).status).toBe(200);
  });

  it("409 key-revoked for a key deleted already, with one audit row in all", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    expect((await del(k.id, admin)).status).toBe(200);
    const problem = await expectProblem(await del(k.id, admin), 409, "key-revoked");
    expect(problem.detail).toMatch(/deleted/);
    expect(await countRows("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'key.delete'", k.id)).toBe(1);
  });

  it("a retried delete pushes the revocation to the key's object again before its 409", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    expect((await call("/v1/auth/me", { key: k.key })).status).toBe(200);
    expect((await del(k.id, admin)).status).toBe(200);
    // As if the first push had never arrived: the object still holds the live key.
    const stub = limiterStub(k.id);
    await runInDurableObject(stub, (_o, state) => state.storage.kv.delete("auth"));
    await expectProblem(await del(k.id, admin), 409, "key-revoked");
    const auth = await runInDurableObject(stub, (_o, state) => state.storage.kv.get<{ revokedAt: number | null; secrets: object }>("auth"));
    expect(auth).toMatchObject({ revokedAt: expect.any(Number), secrets: {} });
  });

  it("update, roll and revoke of a deleted key are 409 key-revoked, and write nothing", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    expect((await del(k.id, admin)).status).toBe(200);
    const before = await auditCount();
    for (const res of [
      await patch(`/v1/keys/${k.id}`, admin, { name: "revived" }),
      await patch(`/v1/keys/${k.id}`, admin, { enabled: true, expiresAt: inOneHour() }),
      await call(`/v1/keys/${k.id}/roll`, { key: admin, body: { gracePeriodSeconds: 0 } }),
      await call(`/v1/keys/${k.id}/revoke`, { key: admin, body: { reason: "again" } }),
    ]) {
      const problem = await expectProblem(res, 409, "key-revoked");
      expect(problem.detail).toMatch(/deleted/);
    }
    expect(await auditCount()).toBe(before);
    expect(await countRows("SELECT count(*) AS n FROM key_secrets WHERE key_id = ?", k.id)).toBe(0);
    expect((await json(await call(`/v1/keys/${k.id}`, { key: admin }))).name).toBe(k.name);
  });
});
