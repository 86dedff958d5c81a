import { beforeAll, describe, expect, it } from "vitest";
import { call, createKey, createTenant, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { countRows, expectProblem, patch, whoAmI } from "../support/admin.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const slug = () => `sec-${crypto.randomUUID().slice(0, 8)}`;

describe("tenants: platform scope only", () => {
  it("401 without a key on every tenant route", async () => {
    const t = await createTenant(platform);
    for (const [method, path, body] of [
      ["GET", "/v1/tenants"],
      ["POST", "/v1/tenants", { name: "x", slug: slug() }],
      ["GET", `/v1/tenants/${t.id}`],
      ["PATCH", `/v1/tenants/${t.id}`, { active: false }],
    ] as [string, string, unknown?][]) {
      const res = await call(path, { method, body });
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="keygate"');
      await expectProblem(res, 401, "missing-credential");
    }
    expect((await json(await call(`/v1/tenants/${t.id}`, { key: platform }))).active).toBe(true);
  });

  it("403 for admin, read_only and every non-platform scope, even on the caller's own tenant", async () => {
    const { tenant, admin } = await tenantWithAdmin(platform);
    const allScopes = await createKey(admin, { scopes: ["jobs:read", "jobs:write", "jobs:report", "query", "admin"] });
    const reader = await createKey(admin, { permissionSet: "read_only" });
    for (const key of [admin, allScopes.key, reader.key]) {
      for (const [method, path, body] of [
        ["GET", "/v1/tenants"],
        ["POST", "/v1/tenants", { name: "x", slug: slug() }],
        ["GET", `/v1/tenants/${tenant.id}`],
        ["PATCH", `/v1/tenants/${tenant.id}`, { plan: "enterprise", maxKeys: 100_000 }],
      ] as [string, string, unknown?][]) {
        const res = await call(path, { method, key, body });
        expect(res.headers.get("www-authenticate")).toContain('scope="platform"');
        await expectProblem(res, 403, "insufficient-scope");
      }
    }
    const after = await json(await call(`/v1/tenants/${tenant.id}`, { key: platform }));
    expect(after).toMatchObject({ plan: "pro", overrides: { maxKeys: null } });
    expect(await countRows("SELECT count(*) AS n FROM audit_log WHERE action = 'tenant.update' AND target_id = ?", tenant.id)).toBe(0);
  });

  it("a * key of the platform tenant counts as platform", async () => {
    const star = await createKey(platform, { scopes: ["*"] });
    expect((await call("/v1/tenants?limit=1", { key: star.key })).status).toBe(200);
    const t = await createTenant(star.key);
    expect(t.id).toMatch(/^ten_/);
  });

  it("a key of an inactive tenant can do nothing, admin included", async () => {
    const { tenant, admin, adminId } = await tenantWithAdmin(platform);
    const other = await createKey(admin, { scopes: ["query"] });
    await patch(`/v1/tenants/${tenant.id}`, platform, { active: false });
    await expectProblem(await call("/v1/keys", { key: admin, body: { name: "x", scopes: ["query"] } }), 403, "tenant-inactive");
    await expectProblem(await patch(`/v1/keys/${other.id}`, admin, { enabled: false }), 403, "tenant-inactive");
    await expectProblem(await call(`/v1/keys/${adminId}/roll`, { key: admin, body: {} }), 403, "tenant-inactive");
    await expectProblem(await call("/v1/audit", { key: admin }), 403, "tenant-inactive");
    expect(await countRows("SELECT count(*) AS n FROM api_keys WHERE tenant_id = ?", tenant.id)).toBe(2);
  });

  it("a platform key's own tenant id is not special to tenant admins", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const { tenantId } = await whoAmI(platform);
    await expectProblem(await call(`/v1/keys?tenantId=${tenantId}`, { key: admin }), 404, "not-found");
    await expectProblem(await call(`/v1/audit?tenantId=${tenantId}`, { key: admin }), 404, "not-found");
    await expectProblem(
      await call("/v1/keys", { key: admin, body: { name: "into-platform", scopes: ["query"], tenantId } }),
      404,
      "not-found",
    );
  });
});
