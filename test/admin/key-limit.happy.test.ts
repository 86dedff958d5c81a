// A plan's maxKeys counts the keys that can still work: revoked, deleted and expired ones free
// their slot (an expired key used to hold it, so a tenant whose only key expired could not make
// another).
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { expectProblem, inOneHour, patch } from "../support/admin.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const expireNow = (id: string) => env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?").bind(Date.now() - 1000, id).run();
const create = (admin: string, name: string) => call("/v1/keys", { key: admin, body: { name, scopes: ["query"] } });

describe("what counts toward maxKeys", () => {
  it("a tenant whose only other key expired can create the next one", async () => {
    const { admin } = await tenantWithAdmin(platform, { plan: "free", maxKeys: 2 });
    const k = await createKey(admin, { name: "short-lived", scopes: ["query"], expiresAt: inOneHour() });
    await expectProblem(await create(admin, "next"), 409, "key-limit-reached");
    await expireNow(k.id);
    expect((await create(admin, "next")).status).toBe(201);
  });

  it("revoked, deleted and expired keys all free their slot", async () => {
    const { admin } = await tenantWithAdmin(platform, { plan: "free", maxKeys: 4 });
    const revoked = await createKey(admin, { scopes: ["query"] });
    const deleted = await createKey(admin, { scopes: ["query"] });
    const expired = await createKey(admin, { scopes: ["query"], expiresAt: inOneHour() });
    await expectProblem(await create(admin, "blocked"), 409, "key-limit-reached");
    expect((await call(`/v1/keys/${revoked.id}/revoke`, { key: admin, body: {} })).status).toBe(200);
    expect((await call(`/v1/keys/${deleted.id}`, { method: "DELETE", key: admin })).status).toBe(200);
    await expireNow(expired.id);
    for (const name of ["a", "b", "c"]) expect((await create(admin, name)).status).toBe(201);
    await expectProblem(await create(admin, "d"), 409, "key-limit-reached");
  });

  it("a new expiry brings an expired key back when there is room", async () => {
    const { admin } = await tenantWithAdmin(platform, { plan: "free", maxKeys: 2 });
    const k = await createKey(admin, { scopes: ["query"], expiresAt: inOneHour() });
    await expireNow(k.id);
    expect((await call("/v1/auth/me", { key: k.key })).status).toBe(401);
    const revived = await patch(`/v1/keys/${k.id}`, admin, { expiresAt: inOneHour() });
    expect(revived.status).toBe(200);
    expect((await json(revived)).expiresAt).not.toBeNull();
    expect((await call("/v1/auth/me", { key: k.key })).status).toBe(200);
  });
});
