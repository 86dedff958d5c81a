import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { auditRowsFor, countRows, patch, whoAmI } from "../support/admin.ts";

let platform: string;
let platformTenantId: string;
let platformKeyId: string;
beforeAll(async () => {
  platform = await platformKey();
  ({ tenantId: platformTenantId, keyId: platformKeyId } = await whoAmI(platform));
});

const IP = "203.0.113.7";

/** Exactly one new audit row for the target and action, matching the response that made it. */
async function expectOneRow(res: Response, targetId: string, action: string, expected: Record<string, unknown>) {
  const rows = (await auditRowsFor(targetId)).filter((r) => r.action === action);
  expect(rows).toHaveLength(1);
  const row = rows[0];
  expect(row).toMatchObject({
    action,
    target_id: targetId,
    ip: IP,
    request_id: res.headers.get("x-request-id"),
    ...expected,
  });
  expect(row.request_id).toBeTruthy();
  return row;
}

describe("audit: every change writes one row", () => {
  it("key.create / key.update / key.roll / key.revoke by a tenant admin", async () => {
    const { tenant, admin, adminId } = await tenantWithAdmin(platform);
    const headers = { "CF-Connecting-IP": IP };
    const who = { actor_key_id: adminId, actor_tenant_id: tenant.id, tenant_id: tenant.id, target_type: "key" };

    const created = await call("/v1/keys", { key: admin, body: { name: "audited", scopes: ["query"] }, headers });
    const k = await json(created.clone());
    const createRow = await expectOneRow(created, k.id, "key.create", who);
    expect(JSON.parse(createRow.details)).toMatchObject({ name: "audited", scopes: ["query"], prefix: k.start, hint: k.hint });

    const updated = await patch(`/v1/keys/${k.id}`, admin, { description: "now with words", enabled: false }, headers);
    const updateRow = await expectOneRow(updated, k.id, "key.update", who);
    expect(JSON.parse(updateRow.details)).toEqual({ description: "now with words", enabled: false });

    const rolled = await call(`/v1/keys/${k.id}/roll`, { key: admin, body: { gracePeriodSeconds: 30 }, headers });
    const rollRow = await expectOneRow(rolled, k.id, "key.roll", who);
    expect(JSON.parse(rollRow.details)).toMatchObject({ gracePeriodSeconds: 30 });

    const revoked = await call(`/v1/keys/${k.id}/revoke`, { key: admin, body: { reason: "audit test" }, headers });
    const revokeRow = await expectOneRow(revoked, k.id, "key.revoke", who);
    expect(JSON.parse(revokeRow.details)).toEqual({ reason: "audit test" });

    expect((await auditRowsFor(k.id)).map((r) => r.action)).toEqual(["key.create", "key.update", "key.roll", "key.revoke"]);
    // Each row's time is the change's own.
    expect(createRow.at).toBe(Date.parse(k.createdAt));
    expect(revokeRow.at).toBe(Date.parse((await json(await call(`/v1/keys/${k.id}`, { key: admin }))).revokedAt));
  });

  it("tenant.create / tenant.update by the platform", async () => {
    const headers = { "CF-Connecting-IP": IP };
    const slug = `aud-${crypto.randomUUID().slice(0, 8)}`;
    const created = await call("/v1/tenants", { key: platform, body: { name: "Audited", slug, plan: "free" }, headers });
    expect(created.status).toBe(201);
    const t = await json(created.clone());
    const who = { actor_key_id: platformKeyId, actor_tenant_id: platformTenantId, tenant_id: t.id, target_type: "tenant" };
    const createRow = await expectOneRow(created, t.id, "tenant.create", who);
    expect(JSON.parse(createRow.details)).toMatchObject({ name: "Audited", slug, plan: "free" });

    const updated = await patch(`/v1/tenants/${t.id}`, platform, { plan: "pro", monthlyQuota: null }, headers);
    const updateRow = await expectOneRow(updated, t.id, "tenant.update", who);
    expect(JSON.parse(updateRow.details)).toEqual({ plan: "pro", monthlyQuota: null });
  });

  it("a platform key acting on a tenant's key is recorded under that tenant, with the platform as actor", async () => {
    const { tenant } = await tenantWithAdmin(platform);
    const res = await call("/v1/keys", { key: platform, body: { name: "by-ops", scopes: ["query"], tenantId: tenant.id }, headers: { "CF-Connecting-IP": IP } });
    const k = await json(res.clone());
    await expectOneRow(res, k.id, "key.create", { tenant_id: tenant.id, actor_key_id: platformKeyId, actor_tenant_id: platformTenantId });
  });

  it("a client's X-Request-Id is kept and recorded; without CF-Connecting-IP the ip is null", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const requestId = `req-${crypto.randomUUID()}`;
    // Straight to the Worker: the call() helper always adds a CF-Connecting-IP.
    const res = await exports.default.fetch(
      new Request("https://gw.test/v1/keys", {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json", "x-request-id": requestId },
        body: JSON.stringify({ name: "traced", scopes: ["query"] }),
      }),
    );
    expect(res.status).toBe(201);
    expect(res.headers.get("x-request-id")).toBe(requestId);
    const k = await json(res);
    const [row] = await auditRowsFor(k.id);
    expect(row).toMatchObject({ request_id: requestId, ip: null });
  });

  it("refused changes and reads write nothing", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { name: "quiet", scopes: ["query"] });
    const before = await countRows("SELECT count(*) AS n FROM audit_log");
    await call(`/v1/keys/${k.id}`, { key: admin });
    await call("/v1/keys", { key: admin });
    await call("/v1/audit", { key: admin });
    await patch(`/v1/keys/${k.id}`, admin, { name: "" }); // 422
    await patch(`/v1/keys/${k.id}`, admin, { scopes: ["platform"] }); // 403
    await call("/v1/keys", { key: admin, body: { name: "quiet", scopes: ["query"] } }); // 409
    expect(await countRows("SELECT count(*) AS n FROM audit_log")).toBe(before);
  });
});

describe("audit: GET /v1/audit", () => {
  it("returns the API view of each row, newest first", async () => {
    const { admin, adminId, tenant } = await tenantWithAdmin(platform);
    const created = await call("/v1/keys", { key: admin, body: { name: "viewed", scopes: ["query"] }, headers: { "CF-Connecting-IP": IP } });
    const k = await json(created);
    const res = await call(`/v1/audit?targetId=${k.id}`, { key: admin });
    expect(res.status).toBe(200);
    const page = await json(res);
    expect(page.nextCursor).toBeNull();
    expect(page.data).toEqual([
      {
        id: expect.stringMatching(/^aud_/),
        tenantId: tenant.id,
        actorKeyId: adminId,
        actorTenantId: tenant.id,
        actor: { type: "key", id: adminId },
        action: "key.create",
        targetType: "key",
        targetId: k.id,
        ip: IP,
        requestId: created.headers.get("x-request-id"),
        details: expect.objectContaining({ name: k.name }),
        at: k.createdAt,
      },
    ]);
  });

  it("paginates with limit and cursor, every row exactly once, newest first", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    for (let i = 0; i < 4; i++) await patch(`/v1/keys/${k.id}`, admin, { description: `v${i}` });
    const ids: string[] = [];
    const descriptions: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await json(await call(`/v1/audit?targetId=${k.id}&limit=2${cursor ? `&cursor=${cursor}` : ""}`, { key: admin }));
      expect(page.data.length).toBeLessThanOrEqual(2);
      ids.push(...page.data.map((r: any) => r.id));
      descriptions.push(...page.data.filter((r: any) => r.action === "key.update").map((r: any) => r.details.description));
      cursor = page.nextCursor;
    } while (cursor);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    expect([...ids].sort().reverse()).toEqual(ids);
    expect(descriptions).toEqual(["v3", "v2", "v1", "v0"]);
  });

  it("filters by action and by targetId", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const a = await createKey(admin, { scopes: ["query"] });
    const b = await createKey(admin, { scopes: ["query"] });
    await call(`/v1/keys/${a.id}/revoke`, { key: admin, body: {} });
    await call(`/v1/keys/${b.id}/roll`, { key: admin, body: {} });

    const revokes = await json(await call("/v1/audit?action=key.revoke", { key: admin }));
    expect(revokes.data.map((r: any) => r.targetId)).toEqual([a.id]);
    const creates = await json(await call("/v1/audit?action=key.create", { key: admin }));
    expect(creates.data).toHaveLength(3); // the admin, a and b
    const forB = await json(await call(`/v1/audit?targetId=${b.id}`, { key: admin }));
    expect(forB.data.map((r: any) => r.action)).toEqual(["key.roll", "key.create"]);
    const both = await json(await call(`/v1/audit?targetId=${b.id}&action=key.roll`, { key: admin }));
    expect(both.data).toHaveLength(1);
    const none = await json(await call(`/v1/audit?targetId=${a.id}&action=key.roll`, { key: admin }));
    expect(none).toEqual({ data: [], nextCursor: null });
  });

  it("a platform key sees every tenant's trail, or one tenant's with tenantId", async () => {
    const x = await tenantWithAdmin(platform);
    const y = await tenantWithAdmin(platform);
    const all = await json(await call("/v1/audit?action=tenant.create&limit=100", { key: platform }));
    const targets = all.data.map((r: any) => r.targetId);
    expect(targets).toEqual(expect.arrayContaining([x.tenant.id, y.tenant.id]));
    const onlyX = await json(await call(`/v1/audit?tenantId=${x.tenant.id}&limit=100`, { key: platform }));
    expect(onlyX.data.length).toBeGreaterThan(0);
    expect(onlyX.data.every((r: any) => r.tenantId === x.tenant.id)).toBe(true);
  });
});
