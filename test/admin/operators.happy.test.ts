// Operators: added with the platform key, signed in through (a local) Cloudflare Access, served by
// every admin route as the key their role stands for, and named in the audit log by address.
import { describe, expect, it } from "vitest";
import { call, createTenant, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { addOperator, asPerson, newEmail } from "../support/people.ts";

describe("/v1/operators with a platform key", () => {
  it("adds, lists, reads, changes and removes an operator", async () => {
    const platform = await platformKey();
    const email = newEmail("Ada").replace("ada", "Ada");
    const created = await addOperator(platform, { email, role: "owner" });
    expect(created).toMatchObject({ id: expect.stringMatching(/^opr_/), email: email.toLowerCase(), role: "owner", tenantId: null, lastSeenAt: null });

    const list = await json(await call("/v1/operators", { key: platform }));
    expect(list.data.map((o: any) => o.id)).toContain(created.id);
    expect(await json(await call(`/v1/operators/${created.id}`, { key: platform }))).toEqual(created);

    const changed = await json(await call(`/v1/operators/${created.id}`, { key: platform, method: "PATCH", body: { role: "viewer" } }));
    expect(changed.role).toBe("viewer");
    expect((await call(`/v1/operators/${created.id}`, { key: platform, method: "DELETE" })).status).toBe(204);
    expect((await call(`/v1/operators/${created.id}`, { key: platform })).status).toBe(404);
  });
});

describe("an operator signed in through Access", () => {
  it("is answered by /v1/auth/me as a person, and seen (lastSeenAt)", async () => {
    const platform = await platformKey();
    const op = await addOperator(platform, { role: "admin" });
    const me = await json(await asPerson(op.email, "/v1/auth/me"));
    expect(me).toMatchObject({ key: null, operator: { email: op.email, role: "admin", tenantId: null }, tenant: { slug: "platform" }, session: null });
    await new Promise((r) => setTimeout(r, 50));
    const seen = await json(await call(`/v1/operators/${op.id}`, { key: platform }));
    expect(seen.lastSeenAt).not.toBeNull();
  });

  it("a platform owner manages tenants, keys and operators; the audit log names the person", async () => {
    const platform = await platformKey();
    const owner = await addOperator(platform, { role: "owner" });
    const tenant = await json(await asPerson(owner.email, "/v1/tenants", { body: { name: "Made by a person", slug: `person-${Date.now().toString(36)}`, plan: "pro" } }));
    expect(tenant.id).toMatch(/^ten_/);
    const key = await json(await asPerson(owner.email, "/v1/keys", { body: { name: "by-owner", tenantId: tenant.id, permissionSet: "read_only" } }));
    expect(key.key).toMatch(/^kg_live_/);
    const other = await json(await asPerson(owner.email, "/v1/operators", { body: { email: newEmail(), role: "viewer", tenantId: tenant.id } }));
    expect(other.tenantId).toBe(tenant.id);

    const audit = await json(await call(`/v1/audit?tenantId=${tenant.id}`, { key: platform }));
    const byPerson = audit.data.filter((a: any) => a.actor.type === "operator");
    expect(byPerson.map((a: any) => a.action).sort()).toEqual(["key.create", "operator.create", "tenant.create"].sort());
    for (const a of byPerson) expect(a).toMatchObject({ actor: { type: "operator", email: owner.email }, actorKeyId: null });
    const byKey = await json(await call(`/v1/audit?targetId=${owner.id}`, { key: platform }));
    expect(byKey.data[0].actor).toMatchObject({ type: "key", id: expect.stringMatching(/^key_/) });
  });

  it("a tenant's admin runs that tenant's keys exactly as its admin key does", async () => {
    const platform = await platformKey();
    const { tenant } = await tenantWithAdmin(platform);
    const admin = await addOperator(platform, { role: "admin", tenantId: tenant.id });
    const made = await json(await asPerson(admin.email, "/v1/keys", { body: { name: "by-tenant-admin", permissionSet: "read_only" } }));
    expect(made.tenantId).toBe(tenant.id);
    const revoked = await asPerson(admin.email, `/v1/keys/${made.id}/revoke`, { body: { reason: "testing" } });
    expect(revoked.status).toBe(200);
    const keys = await json(await asPerson(admin.email, "/v1/keys"));
    expect(keys.data.every((k: any) => k.tenantId === tenant.id)).toBe(true);
  });

  it("a platform-wide viewer reads the operators; the list filters by tenant", async () => {
    const platform = await platformKey();
    const tenant = await createTenant(platform);
    const viewer = await addOperator(platform, { role: "viewer" });
    const inTenant = await addOperator(platform, { role: "admin", tenantId: tenant.id });
    const list = await json(await asPerson(viewer.email, `/v1/operators?tenantId=${tenant.id}`));
    expect(list.data.map((o: any) => o.id)).toEqual([inTenant.id]);
  });
});
