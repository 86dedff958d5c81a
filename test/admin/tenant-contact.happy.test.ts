// A tenant's optional contact email and description: set at creation, changed and cleared by
// update, shown wherever the tenant is.
import { beforeAll, describe, expect, it } from "vitest";
import { auditRowsFor, patch } from "../support/admin.ts";
import { call, createTenant, json, platformKey } from "../support/gateway.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

describe("tenant contact and description", () => {
  it("are null unless given, and shown by create, get and list", async () => {
    const plain = await createTenant(platform);
    expect(plain).toMatchObject({ email: null, description: null });

    const t = await createTenant(platform, { email: "  ops@acme.example ", description: "Acme's data platform.\u00a0Pager: #ops" });
    expect(t).toMatchObject({ email: "ops@acme.example", description: "Acme's data platform.\u00a0Pager: #ops" });
    expect(await json(await call(`/v1/tenants/${t.id}`, { key: platform }))).toMatchObject({ email: "ops@acme.example" });
    const listed = (await json(await call("/v1/tenants?limit=100", { key: platform }))).data.find((x: any) => x.id === t.id);
    expect(listed).toMatchObject({ email: "ops@acme.example", description: t.description });
  });

  it("update changes each on its own, null clears it; the audit row records the change", async () => {
    const t = await createTenant(platform, { email: "a@acme.example", description: "first" });
    const changed = await json(await patch(`/v1/tenants/${t.id}`, platform, { email: "billing+keys@acme.example" }));
    expect(changed).toMatchObject({ email: "billing+keys@acme.example", description: "first" });
    const cleared = await json(await patch(`/v1/tenants/${t.id}`, platform, { description: null }));
    expect(cleared).toMatchObject({ email: "billing+keys@acme.example", description: null });
    const both = await json(await patch(`/v1/tenants/${t.id}`, platform, { email: null, description: "Ünïcode — fine" }));
    expect(both).toMatchObject({ email: null, description: "Ünïcode — fine" });
    expect(await json(await call(`/v1/tenants/${t.id}`, { key: platform }))).toEqual(both);

    const updates = (await auditRowsFor(t.id)).filter((r) => r.action === "tenant.update").map((r) => JSON.parse(r.details));
    expect(updates).toEqual([{ email: "billing+keys@acme.example" }, { description: null }, { email: null, description: "Ünïcode — fine" }]);
  });

  it("a tenant's own keys see its contact through /v1/auth/me", async () => {
    const t = await createTenant(platform, { email: "ops@acme.example" });
    const k = await json(await call("/v1/keys", { key: platform, body: { tenantId: t.id, name: "me", scopes: ["query"] } }));
    const me = await json(await call("/v1/auth/me", { key: k.key }));
    expect(me.tenant).toMatchObject({ id: t.id, email: "ops@acme.example" });
  });
});
