import { beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "../../src/keys/hash.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { countRows, dumpD1, dumpKV, expectProblem, patch, waitFor, whoAmI } from "../support/admin.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

describe("keys: tenant isolation", () => {
  it("an admin key gets 404 for the other tenant's keys on every route, both directions", async () => {
    const a = await tenantWithAdmin(platform);
    const b = await tenantWithAdmin(platform);
    const keyOfA = await createKey(a.admin, { scopes: ["query"] });
    const keyOfB = await createKey(b.admin, { scopes: ["query"] });

    for (const [caller, victim] of [
      [a.admin, keyOfB],
      [b.admin, keyOfA],
    ] as const) {
      const notFound = await expectProblem(await call(`/v1/keys/${victim.id}`, { key: caller }), 404, "not-found");
      // The same answer as for an id that never existed: nothing to probe.
      const missing = await expectProblem(await call("/v1/keys/key_0000000000000000000000", { key: caller }), 404, "not-found");
      expect(notFound.detail).toBe(missing.detail);
      await expectProblem(await patch(`/v1/keys/${victim.id}`, caller, { enabled: false }), 404, "not-found");
      await expectProblem(await patch(`/v1/keys/${victim.id}`, caller, { scopes: ["admin"] }), 404, "not-found");
      await expectProblem(await call(`/v1/keys/${victim.id}/revoke`, { key: caller, body: {} }), 404, "not-found");
      await expectProblem(await call(`/v1/keys/${victim.id}/roll`, { key: caller, body: { gracePeriodSeconds: 0 } }), 404, "not-found");
    }

    // Nothing happened to either victim: both still work, unchanged, with one secret each.
    for (const victim of [keyOfA, keyOfB]) {
      expect((await call("/v1/auth/me", { key: victim.key })).status).toBe(200);
      expect(await countRows("SELECT count(*) AS n FROM key_secrets WHERE key_id = ?", victim.id)).toBe(1);
      expect(await countRows("SELECT count(*) AS n FROM audit_log WHERE target_id = ?", victim.id)).toBe(1); // key.create only
    }
  });

  it("an admin key cannot create keys in another tenant (404), not even its tenant id echoed as its own", async () => {
    const a = await tenantWithAdmin(platform);
    const b = await tenantWithAdmin(platform);
    await expectProblem(
      await call("/v1/keys", { key: a.admin, body: { name: "intruder", scopes: ["query"], tenantId: b.tenant.id } }),
      404,
      "not-found",
    );
    expect(await countRows("SELECT count(*) AS n FROM api_keys WHERE name = 'intruder'")).toBe(0);
    // Naming its own tenant is fine.
    expect((await call("/v1/keys", { key: a.admin, body: { name: "own", scopes: ["query"], tenantId: a.tenant.id } })).status).toBe(201);
  });

  it("list shows only the caller's tenant; asking for another tenant is 404", async () => {
    const a = await tenantWithAdmin(platform);
    const b = await tenantWithAdmin(platform);
    const ka = await createKey(a.admin, { scopes: ["query"] });
    await createKey(b.admin, { scopes: ["query"] });

    const seen: any[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await json(await call(`/v1/keys?limit=1${cursor ? `&cursor=${cursor}` : ""}`, { key: a.admin }));
      seen.push(...res.data);
      cursor = res.nextCursor;
    } while (cursor);
    expect(seen.map((k) => k.id).sort()).toEqual([a.adminId, ka.id].sort());
    expect(seen.every((k) => k.tenantId === a.tenant.id)).toBe(true);

    await expectProblem(await call(`/v1/keys?tenantId=${b.tenant.id}`, { key: a.admin }), 404, "not-found");
  });

  it("a platform key reaches any tenant's keys", async () => {
    const a = await tenantWithAdmin(platform);
    const k = await createKey(a.admin, { scopes: ["query"] });
    expect((await call(`/v1/keys/${k.id}`, { key: platform })).status).toBe(200);
    const listed = await json(await call(`/v1/keys?tenantId=${a.tenant.id}`, { key: platform }));
    expect(listed.data.map((x: any) => x.id).sort()).toEqual([a.adminId, k.id].sort());
    expect((await patch(`/v1/keys/${k.id}`, platform, { description: "seen by ops" })).status).toBe(200);
  });
});

describe("keys: scope enforcement", () => {
  it("a key without admin gets 403 insufficient_scope on every admin route", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const reader = await createKey(admin, { permissionSet: "read_only" });
    const target = await createKey(admin, { scopes: ["query"] });
    const routes: [string, string, unknown?][] = [
      ["POST", "/v1/keys", { name: "x", scopes: ["query"] }],
      ["GET", "/v1/keys"],
      ["GET", `/v1/keys/${target.id}`],
      ["PATCH", `/v1/keys/${target.id}`, { enabled: false }],
      ["POST", `/v1/keys/${target.id}/revoke`, {}],
      ["POST", `/v1/keys/${target.id}/roll`, {}],
      ["GET", "/v1/audit"],
      ["GET", "/v1/permission-sets"],
    ];
    for (const [method, path, body] of routes) {
      const res = await call(path, { method, key: reader.key, body });
      const challenge = res.headers.get("www-authenticate") ?? "";
      expect(challenge, `${method} ${path}`).toMatch(/^Bearer realm="keygate", error="insufficient_scope"/);
      expect(challenge).toContain('scope="admin"');
      await expectProblem(res, 403, "insufficient-scope");
    }
    expect((await call("/v1/auth/me", { key: target.key })).status).toBe(200); // untouched
  });

  it("an admin key gets 403 insufficient_scope (scope=platform) on /v1/tenants", async () => {
    const { admin, tenant } = await tenantWithAdmin(platform);
    const routes: [string, string, unknown?][] = [
      ["GET", "/v1/tenants"],
      ["POST", "/v1/tenants", { name: "Evil", slug: `evil-${crypto.randomUUID().slice(0, 8)}` }],
      ["GET", `/v1/tenants/${tenant.id}`],
      ["PATCH", `/v1/tenants/${tenant.id}`, { plan: "enterprise" }],
    ];
    for (const [method, path, body] of routes) {
      const res = await call(path, { method, key: admin, body });
      expect(res.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
      expect(res.headers.get("www-authenticate")).toContain('scope="platform"');
      await expectProblem(res, 403, "insufficient-scope");
    }
    expect((await json(await call(`/v1/tenants/${tenant.id}`, { key: platform }))).plan).toBe("pro");
  });
});

describe("keys: privilege escalation", () => {
  it("a tenant admin cannot create a key with platform or *", async () => {
    const { admin, tenant } = await tenantWithAdmin(platform);
    for (const scopes of [["platform"], ["*"], ["query", "platform"], ["admin", "*"]]) {
      const res = await call("/v1/keys", { key: admin, body: { name: `esc-${scopes.join("-")}`, scopes } });
      expect(res.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
      await expectProblem(res, 403, "insufficient-scope");
    }
    expect(await countRows("SELECT count(*) AS n FROM api_keys WHERE tenant_id = ? AND name LIKE 'esc-%'", tenant.id)).toBe(0);
  });

  it("a tenant admin cannot PATCH a key (its own included) to platform or *", async () => {
    const { admin, adminId } = await tenantWithAdmin(platform);
    const other = await createKey(admin, { scopes: ["query"] });
    for (const id of [adminId, other.id]) {
      for (const scopes of [["platform"], ["*"], ["admin", "platform"]]) {
        await expectProblem(await patch(`/v1/keys/${id}`, admin, { scopes }), 403, "insufficient-scope");
      }
    }
    expect((await call("/v1/tenants", { key: admin })).status).toBe(403);
    expect((await json(await call(`/v1/keys/${other.id}`, { key: admin }))).scopes).toEqual(["query"]);
  });

  it("a platform key cannot grant platform or * to a key of another tenant", async () => {
    const { tenant, adminId } = await tenantWithAdmin(platform);
    for (const scopes of [["platform"], ["*"]]) {
      await expectProblem(
        await call("/v1/keys", { key: platform, body: { name: `p-${scopes[0]}`, scopes, tenantId: tenant.id } }),
        403,
        "insufficient-scope",
      );
      await expectProblem(await patch(`/v1/keys/${adminId}`, platform, { scopes }), 403, "insufficient-scope");
    }
    expect(await countRows("SELECT count(*) AS n FROM api_keys WHERE tenant_id = ? AND scopes LIKE '%platform%'", tenant.id)).toBe(0);
  });

  it("a platform key may grant platform within its own tenant", async () => {
    const created = await createKey(platform, { scopes: ["platform"] });
    expect((await call("/v1/tenants?limit=1", { key: created.key })).status).toBe(200);
  });

  it("a tenant admin may create admin keys and keys with scopes it lacks, but only within its tenant", async () => {
    const { admin, tenant } = await tenantWithAdmin(platform);
    const reporter = await createKey(admin, { scopes: ["jobs:report", "admin"] });
    expect(reporter.tenantId).toBe(tenant.id);
    expect((await call("/v1/tenants", { key: reporter.key })).status).toBe(403);
  });
});

describe("keys: /v1/auth/me", () => {
  it("works with any valid key, whatever its scopes, and never shows a secret", async () => {
    const { admin, tenant } = await tenantWithAdmin(platform);
    for (const scopes of [["jobs:report"], ["query"], ["admin"]]) {
      const k = await createKey(admin, { scopes });
      const res = await call("/v1/auth/me", { key: k.key });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).not.toContain(k.key);
      const me = JSON.parse(text);
      expect(me.key).toMatchObject({ id: k.id, tenantId: tenant.id, scopes });
      expect(me.key.key).toBeUndefined();
      expect(me.tenant.id).toBe(tenant.id);
    }
  });

  it("needs a key", async () => {
    await expectProblem(await call("/v1/auth/me"), 401, "missing-credential");
  });
});

describe("keys: the secret is shown on create and roll only", () => {
  it("never appears in GET, list, audit, revoke, D1 or KV", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const created = await createKey(admin, { scopes: ["query"], description: "watch me" });
    const rolledRes = await call(`/v1/keys/${created.id}/roll`, { key: admin, body: { gracePeriodSeconds: 600 } });
    const rolled = await json(rolledRes);
    const secrets = [created.key as string, rolled.key as string];
    expect(secrets[0]).not.toBe(secrets[1]);
    // Use both so every cache tier gets a copy.
    for (const s of secrets) expect((await call("/v1/auth/me", { key: s })).status).toBe(200);
    await patch(`/v1/keys/${created.id}`, admin, { description: "still watching" });

    const responses = [
      await call(`/v1/keys/${created.id}`, { key: admin }),
      await call("/v1/keys", { key: admin }),
      await call(`/v1/keys?limit=100`, { key: platform }),
      await call("/v1/audit?limit=100", { key: admin }),
      await call(`/v1/audit?targetId=${created.id}`, { key: platform }),
      await call("/v1/auth/me", { key: created.key }),
      await call("/v1/auth/me", { key: rolled.key }),
      await patch(`/v1/keys/${created.id}`, admin, { name: "renamed" }),
    ];
    for (const res of responses) {
      expect(res.status).toBe(200);
      const text = await res.text();
      for (const s of secrets) expect(text).not.toContain(s);
      expect(text).not.toMatch(/kg_(live|test)_[0-9A-Za-z]{20,}/);
    }
    const revoked = await call(`/v1/keys/${created.id}/revoke`, { key: admin, body: {} });
    expect(revoked.status).toBe(200);
    const revokedText = await revoked.text();
    for (const s of secrets) expect(revokedText).not.toContain(s);

    // D1: no secret in any row of any table (only its SHA-256).
    const d1 = await dumpD1();
    for (const s of secrets) {
      expect(d1).not.toContain(s);
      expect(d1).not.toContain(s.slice(8, 40)); // nor its random part alone
      expect(d1).toContain(await hashKey(s));
    }

    // KV: wait for the cache fills written after the responses, then read every entry.
    const hashes = await Promise.all(secrets.map(hashKey));
    const kv = await waitFor(async () => {
      const dump = await dumpKV();
      return hashes.every((h) => dump.names.includes(`key:${h}`)) ? dump : null;
    }, "KV cache fills");
    for (const s of secrets) {
      expect(kv.text).not.toContain(s);
      expect(kv.text).not.toContain(s.slice(8, 40));
    }
    expect(kv.names.every((n) => /^(key:[0-9a-f]{64}|tenant:ten_\w+)$/.test(n))).toBe(true);
  });

  it("the audit trail of a create names the key's display parts, not its secret", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const created = await createKey(admin, { scopes: ["query"] });
    const { keyId } = await whoAmI(admin);
    const audit = await json(await call(`/v1/audit?targetId=${created.id}`, { key: admin }));
    expect(audit.data).toHaveLength(1);
    expect(audit.data[0].actorKeyId).toBe(keyId);
    expect(audit.data[0].details).toMatchObject({ prefix: created.start, hint: created.hint });
    expect(JSON.stringify(audit)).not.toContain(created.key);
  });
});

describe("keys that reach beyond their tenant", () => {
  it("a tenant admin of the platform tenant cannot roll, revoke or demote a platform key", async () => {
    const platform2 = await platformKey();
    const meId = (await (await call("/v1/auth/me", { key: platform2 })).json<any>()).key.id;
    const admin = await createKey(platform2, { name: `adm-${crypto.randomUUID()}`, permissionSet: "full_access" });
    for (const [path, body, method] of [
      [`/v1/keys/${meId}/roll`, {}, "POST"],
      [`/v1/keys/${meId}/revoke`, {}, "POST"],
      [`/v1/keys/${meId}`, { scopes: ["query"] }, "PATCH"],
    ] as const) {
      const res = await call(path, { key: admin.key, body, method });
      expect(res.status, path).toBe(403);
    }
    expect((await call("/v1/tenants", { key: platform2 })).status).toBe(200);
  });
});
