import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/keys/format.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { countRows, expectProblem, patch } from "../support/admin.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const MISSING_KEY = "key_0000000000000000000000";

describe("keys: invalid bodies → 422 validation-failed with errors[]", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["neither scopes nor permissionSet", { name: "x" }, "scopes"],
    ["both scopes and permissionSet", { name: "x", scopes: ["query"], permissionSet: "read_only" }, "scopes"],
    ["an unknown scope", { name: "x", scopes: ["root"] }, "scopes.0"],
    ["empty scopes", { name: "x", scopes: [] }, "scopes"],
    ["an unknown permission set", { name: "x", permissionSet: "god_mode" }, "permissionSet"],
    ["no name", { scopes: ["query"] }, "name"],
    ["a blank name", { name: "   ", scopes: ["query"] }, "name"],
    ["a name over 100 characters", { name: "n".repeat(101), scopes: ["query"] }, "name"],
    ["an unknown environment", { name: "x", scopes: ["query"], environment: "prod" }, "environment"],
    ["expiresAt in the past", { name: "x", scopes: ["query"], expiresAt: "2020-01-01T00:00:00Z" }, "expiresAt"],
    ["expiresAt not ISO", { name: "x", scopes: ["query"], expiresAt: "tomorrow" }, "expiresAt"],
    ["a rate limit of 0", { name: "x", scopes: ["query"], rateLimit: { capacity: 0, refillPerSecond: 1 } }, "rateLimit.capacity"],
    ["a rate limit without refill", { name: "x", scopes: ["query"], rateLimit: { capacity: 5 } }, "rateLimit.refillPerSecond"],
    ["a fractional monthlyQuota", { name: "x", scopes: ["query"], monthlyQuota: 1.5 }, "monthlyQuota"],
    ["a malformed tenantId", { name: "x", scopes: ["query"], tenantId: "acme" }, "tenantId"],
    ["an unknown field", { name: "x", scopes: ["query"], owner: "me" }, ""],
  ];
  it.each(cases)("POST /v1/keys with %s", async (_label, body, path) => {
    const { admin } = await tenantWithAdmin(platform);
    const problem = await expectProblem(await call("/v1/keys", { key: admin, body }), 422, "validation-failed");
    expect(Array.isArray(problem.errors)).toBe(true);
    expect(problem.errors.length).toBeGreaterThan(0);
    for (const e of problem.errors) expect(e).toEqual({ path: expect.any(String), message: expect.any(String) });
    if (path) expect(problem.errors.map((e: any) => e.path)).toContain(path);
  });

  it("a body that is JSON but not an object, or smuggles __proto__", async () => {
    const { admin } = await tenantWithAdmin(platform);
    for (const body of ["null", "[]", "42", '"key"']) {
      const problem = await expectProblem(await call("/v1/keys", { key: admin, body }), 422, "validation-failed");
      expect(problem.errors[0].path).toBe("(root)");
    }
    await expectProblem(
      await call("/v1/keys", { key: admin, body: '{"name":"proto","scopes":["query"],"__proto__":{"tenantId":"ten_0000000000000000000000"}}' }),
      422,
      "validation-failed",
    );
    await expectProblem(await call("/v1/keys", { key: admin, body: { name: "x", scopes: ["query"], description: "d".repeat(501) } }), 422, "validation-failed");
  });

  it("PATCH with an empty body, an unknown field, a past expiresAt or a null name", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    for (const body of [{}, { tenantId: "ten_00000000000000000000" }, { expiresAt: "2020-01-01T00:00:00Z" }, { name: null }, { scopes: [] }, { enabled: "no" }]) {
      const problem = await expectProblem(await patch(`/v1/keys/${k.id}`, admin, body), 422, "validation-failed");
      expect(problem.errors.length).toBeGreaterThan(0);
    }
  });

  it("roll with gracePeriodSeconds over 7 days, negative or fractional", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    for (const gracePeriodSeconds of [604_801, -1, 1.5, "60"]) {
      const problem = await expectProblem(await call(`/v1/keys/${k.id}/roll`, { key: admin, body: { gracePeriodSeconds } }), 422, "validation-failed");
      expect(problem.errors[0].path).toBe("gracePeriodSeconds");
    }
    // 604800 itself is allowed.
    expect((await call(`/v1/keys/${k.id}/roll`, { key: admin, body: { gracePeriodSeconds: 604_800 } })).status).toBe(200);
  });

  it("revoke with an unknown field or an over-long reason", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    await expectProblem(await call(`/v1/keys/${k.id}/revoke`, { key: admin, body: { why: "x" } }), 422, "validation-failed");
    await expectProblem(await call(`/v1/keys/${k.id}/revoke`, { key: admin, body: { reason: "r".repeat(501) } }), 422, "validation-failed");
    // Still usable: nothing was revoked.
    expect((await call("/v1/auth/me", { key: k.key })).status).toBe(200);
  });

  it("list and path parameters are validated too", async () => {
    const { admin } = await tenantWithAdmin(platform);
    await expectProblem(await call("/v1/keys?limit=0", { key: admin }), 422, "validation-failed");
    await expectProblem(await call("/v1/keys?limit=101", { key: admin }), 422, "validation-failed");
    await expectProblem(await call("/v1/keys?enabled=yes", { key: admin }), 422, "validation-failed");
    await expectProblem(await call("/v1/keys?environment=prod", { key: admin }), 422, "validation-failed");
    await expectProblem(await call("/v1/keys/not-a-key-id", { key: admin }), 422, "validation-failed");
  });
});

describe("keys: body transport errors", () => {
  it("415 for a body that is not JSON, or no content type", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const body = JSON.stringify({ name: "x", scopes: ["query"] });
    await expectProblem(await call("/v1/keys", { key: admin, body, headers: { "content-type": "text/plain" } }), 415, "unsupported-media-type");
    await expectProblem(
      await call("/v1/keys", { key: admin, body: "name=x", headers: { "content-type": "application/x-www-form-urlencoded" } }),
      415,
      "unsupported-media-type",
    );
    await expectProblem(await call("/v1/keys", { key: admin, method: "POST" }), 415, "unsupported-media-type");
    const k = await createKey(admin, { scopes: ["query"] });
    await expectProblem(
      await call(`/v1/keys/${k.id}`, { method: "PATCH", key: admin, body: '{"name":"y"}', headers: { "content-type": "text/plain" } }),
      415,
      "unsupported-media-type",
    );
  });

  it("revoke and roll need no body at all (their fields are optional); roll then uses a 24 h grace", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    const rolled = await call(`/v1/keys/${k.id}/roll`, { key: admin, method: "POST" });
    expect(rolled.status).toBe(200);
    const deadline = Date.parse((await rolled.json<any>()).previousSecretExpiresAt);
    expect(Math.abs(deadline - (Date.now() + 86_400_000))).toBeLessThan(60_000);
    expect((await call(`/v1/keys/${k.id}/revoke`, { key: admin, method: "POST" })).status).toBe(200);
  });

  it("accepts application/json with a charset", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const res = await call("/v1/keys", {
      key: admin,
      body: { name: "charset", scopes: ["query"] },
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    expect(res.status).toBe(201);
  });

  it("400 bad-request for malformed JSON", async () => {
    const { admin } = await tenantWithAdmin(platform);
    await expectProblem(await call("/v1/keys", { key: admin, body: '{"name": "x", ' }), 400, "bad-request");
    const k = await createKey(admin, { scopes: ["query"] });
    await expectProblem(await call(`/v1/keys/${k.id}/roll`, { key: admin, body: "not json" }), 400, "bad-request");
    await expectProblem(await call(`/v1/keys/${k.id}`, { method: "PATCH", key: admin, body: "{" }), 400, "bad-request");
  });

  it("413 for a body over 64 KiB, before it is parsed", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const big = JSON.stringify({ name: "big", scopes: ["query"], description: "d".repeat(65 * 1024) });
    await expectProblem(await call("/v1/keys", { key: admin, body: big }), 413, "payload-too-large");
    // Oversized and malformed: the size is what is reported.
    await expectProblem(await call("/v1/keys", { key: admin, body: "{" + " ".repeat(70_000) }), 413, "payload-too-large");
    const count = await countRows("SELECT count(*) AS n FROM api_keys WHERE name = 'big'");
    expect(count).toBe(0);
  });

  it("413 for a streamed (no Content-Length) body over 64 KiB; a small streamed body still works", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const stream = (text: string) =>
      new ReadableStream({
        start(controller) {
          const bytes = new TextEncoder().encode(text);
          for (let i = 0; i < bytes.length; i += 8192) controller.enqueue(bytes.slice(i, i + 8192));
          controller.close();
        },
      });
    const send = (text: string) =>
      exports.default.fetch(
        new Request("https://gw.test/v1/keys", {
          method: "POST",
          headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
          body: stream(text),
        }),
      );
    const big = JSON.stringify({ name: "streamed-big", scopes: ["query"], description: "d".repeat(80 * 1024) });
    await expectProblem(await send(big), 413, "payload-too-large");
    const small = await send(JSON.stringify({ name: "streamed-small", scopes: ["query"] }));
    expect(small.status, await small.clone().text()).toBe(201);
    expect((await json(small)).name).toBe("streamed-small");
  });

  it("a body just under the limit gets past the size check (and fails on the schema)", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const body = JSON.stringify({ name: "x", scopes: ["query"], description: "d".repeat(60 * 1024) });
    await expectProblem(await call("/v1/keys", { key: admin, body }), 422, "validation-failed");
  });
});

describe("keys: not found and method not allowed", () => {
  it("404 for a key id that does not exist, on every key route", async () => {
    const { admin } = await tenantWithAdmin(platform);
    await expectProblem(await call(`/v1/keys/${MISSING_KEY}`, { key: admin }), 404, "not-found");
    await expectProblem(await patch(`/v1/keys/${MISSING_KEY}`, admin, { name: "x" }), 404, "not-found");
    await expectProblem(await call(`/v1/keys/${MISSING_KEY}/revoke`, { key: admin, body: {} }), 404, "not-found");
    await expectProblem(await call(`/v1/keys/${MISSING_KEY}/roll`, { key: admin, body: {} }), 404, "not-found");
  });

  it("404 when a platform key names a tenant that does not exist", async () => {
    await expectProblem(
      await call("/v1/keys", { key: platform, body: { name: "x", scopes: ["query"], tenantId: "ten_0000000000000000000000" } }),
      404,
      "not-found",
    );
  });

  it("404 for an unknown route under /v1", async () => {
    const { admin } = await tenantWithAdmin(platform);
    await expectProblem(await call("/v1/nope", { key: admin }), 404, "not-found");
  });

  it("405 with Allow for a wrong method on an existing path", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    const cases: [string, string, string][] = [
      ["PUT", `/v1/keys/${k.id}`, "DELETE, GET, PATCH"],
      ["PUT", "/v1/keys", "GET, POST"],
      ["GET", `/v1/keys/${k.id}/revoke`, "POST"],
      ["DELETE", `/v1/keys/${k.id}/roll`, "POST"],
    ];
    for (const [method, path, allow] of cases) {
      const res = await call(path, { method, key: admin });
      expect(res.headers.get("allow"), `${method} ${path}`).toBe(allow);
      await expectProblem(res, 405, "method-not-allowed");
    }
  });
});

describe("keys: conflicts", () => {
  it("409 key-name-taken for a duplicate name among live keys, on create and on rename", async () => {
    const { admin } = await tenantWithAdmin(platform);
    await createKey(admin, { name: "ci", scopes: ["query"] });
    const before = await countRows("SELECT count(*) AS n FROM audit_log");
    await expectProblem(await call("/v1/keys", { key: admin, body: { name: "ci", scopes: ["query"] } }), 409, "key-name-taken");
    // Names are trimmed before comparing.
    await expectProblem(await call("/v1/keys", { key: admin, body: { name: "  ci ", scopes: ["query"] } }), 409, "key-name-taken");
    const other = await createKey(admin, { name: "deploy", scopes: ["query"] });
    await expectProblem(await patch(`/v1/keys/${other.id}`, admin, { name: "ci" }), 409, "key-name-taken");
    // Nothing written by the refused calls: no audit rows, the rename did not happen.
    expect(await countRows("SELECT count(*) AS n FROM audit_log WHERE action IN ('key.create', 'key.update') AND target_id = ?", other.id)).toBe(1);
    expect(await countRows("SELECT count(*) AS n FROM audit_log")).toBe(before + 1);
    expect((await json(await call(`/v1/keys/${other.id}`, { key: admin }))).name).toBe("deploy");
  });

  it("the same name is fine in another tenant", async () => {
    const a = await tenantWithAdmin(platform);
    const b = await tenantWithAdmin(platform);
    await createKey(a.admin, { name: "shared", scopes: ["query"] });
    await createKey(b.admin, { name: "shared", scopes: ["query"] });
  });

  it("409 key-limit-reached at the free plan's 5 keys, with nothing half-written", async () => {
    const { tenant, admin } = await tenantWithAdmin(platform, { plan: "free" });
    for (let i = 0; i < 4; i++) await createKey(admin, { name: `k${i}`, scopes: ["query"] }); // + the admin = 5
    const counts = async () => ({
      keys: await countRows("SELECT count(*) AS n FROM api_keys WHERE tenant_id = ?", tenant.id),
      secrets: await countRows("SELECT count(*) AS n FROM key_secrets"),
      audit: await countRows("SELECT count(*) AS n FROM audit_log"),
      tenantAudit: await countRows("SELECT count(*) AS n FROM audit_log WHERE tenant_id = ?", tenant.id),
    });
    const before = await counts();
    expect(before.keys).toBe(5);

    const problem = await expectProblem(await call("/v1/keys", { key: admin, body: { name: "sixth", scopes: ["query"] } }), 409, "key-limit-reached");
    expect(problem.maxKeys).toBe(5);
    // The platform key is held to the tenant's limit as well.
    await expectProblem(
      await call("/v1/keys", { key: platform, body: { name: "seventh", scopes: ["query"], tenantId: tenant.id } }),
      409,
      "key-limit-reached",
    );

    expect(await counts()).toEqual(before);
    expect(await countRows("SELECT count(*) AS n FROM key_secrets WHERE key_id NOT IN (SELECT id FROM api_keys)")).toBe(0);
    expect(await countRows("SELECT count(*) AS n FROM audit_log WHERE target_type = 'key' AND target_id NOT IN (SELECT id FROM api_keys)")).toBe(0);
    expect(await countRows("SELECT count(*) AS n FROM api_keys WHERE name IN ('sixth', 'seventh')")).toBe(0);
  });

  it("a revoked key frees a slot; the tenant's maxKeys override replaces the plan's", async () => {
    const { tenant, admin } = await tenantWithAdmin(platform, { plan: "free", maxKeys: 2 });
    const second = await createKey(admin, { scopes: ["query"] });
    await expectProblem(await call("/v1/keys", { key: admin, body: { name: "third", scopes: ["query"] } }), 409, "key-limit-reached");
    expect((await call(`/v1/keys/${second.id}/revoke`, { key: admin, body: {} })).status).toBe(200);
    expect((await call("/v1/keys", { key: admin, body: { name: "third", scopes: ["query"] } })).status).toBe(201);

    // Raising the override lets more in; clearing it falls back to the plan's 5.
    await expectProblem(await call("/v1/keys", { key: admin, body: { name: "fourth", scopes: ["query"] } }), 409, "key-limit-reached");
    expect((await patch(`/v1/tenants/${tenant.id}`, platform, { maxKeys: null })).status).toBe(200);
    expect((await call("/v1/keys", { key: admin, body: { name: "fourth", scopes: ["query"] } })).status).toBe(201);
  });

  it("racing creates never pass the limit or a name; racing revokes revoke once", async () => {
    const { tenant, admin } = await tenantWithAdmin(platform, { maxKeys: 3 });
    const creates = await Promise.all(
      Array.from({ length: 6 }, (_, i) => call("/v1/keys", { key: admin, body: { name: `race-${i}`, scopes: ["query"] } })),
    );
    expect(creates.filter((r) => r.status === 201)).toHaveLength(2);
    for (const r of creates.filter((r) => r.status !== 201)) await expectProblem(r, 409, "key-limit-reached");
    expect(await countRows("SELECT count(*) AS n FROM api_keys WHERE tenant_id = ? AND revoked_at IS NULL", tenant.id)).toBe(3);

    const b = await tenantWithAdmin(platform);
    const sameName = await Promise.all(
      Array.from({ length: 4 }, () => call("/v1/keys", { key: b.admin, body: { name: "dup", scopes: ["query"] } })),
    );
    expect(sameName.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of sameName.filter((r) => r.status !== 201)) await expectProblem(r, 409, "key-name-taken");
    expect(await countRows("SELECT count(*) AS n FROM audit_log WHERE tenant_id = ? AND action = 'key.create'", b.tenant.id)).toBe(2);

    const k = await createKey(b.admin, { scopes: ["query"] });
    const revokes = await Promise.all([1, 2, 3].map(() => call(`/v1/keys/${k.id}/revoke`, { key: b.admin, body: {} })));
    expect(revokes.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of revokes.filter((r) => r.status !== 200)) await expectProblem(r, 409, "key-revoked");
    expect(await countRows("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'key.revoke'", k.id)).toBe(1);
  });

  it("409 key-revoked for PATCH, roll and revoke of a revoked key", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    expect((await call(`/v1/keys/${k.id}/revoke`, { key: admin, body: { reason: "done" } })).status).toBe(200);
    const auditBefore = await countRows("SELECT count(*) AS n FROM audit_log WHERE target_id = ?", k.id);
    await expectProblem(await patch(`/v1/keys/${k.id}`, admin, { enabled: true }), 409, "key-revoked");
    await expectProblem(await call(`/v1/keys/${k.id}/roll`, { key: admin, body: {} }), 409, "key-revoked");
    await expectProblem(await call(`/v1/keys/${k.id}/revoke`, { key: admin, body: {} }), 409, "key-revoked");
    expect(await countRows("SELECT count(*) AS n FROM audit_log WHERE target_id = ?", k.id)).toBe(auditBefore);
    // No secret was issued by the refused roll.
    expect(await countRows("SELECT count(*) AS n FROM key_secrets WHERE key_id = ?", k.id)).toBe(1);
    const fetched = await json(await call(`/v1/keys/${k.id}`, { key: admin }));
    expect(fetched.revokeReason).toBe("done");
  });
});

describe("keys: authentication errors", () => {
  it("401 without a key: bare Bearer challenge", async () => {
    const res = await call("/v1/keys");
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="keygate"');
    await expectProblem(res, 401, "missing-credential");
  });

  it("401 for a malformed or unknown key: invalid_token challenge", async () => {
    const malformed = await call("/v1/keys", { key: "kg_live_nope" });
    expect(malformed.headers.get("www-authenticate")).toMatch(/^Bearer realm="keygate", error="invalid_token"/);
    await expectProblem(malformed, 401, "malformed-key");
    // Well-formed, valid checksum, never issued.
    const unknown = await call("/v1/keys", { key: generateKey("live") });
    expect(unknown.headers.get("www-authenticate")).toMatch(/^Bearer realm="keygate", error="invalid_token"/);
    await expectProblem(unknown, 401, "unknown-key");
  });

  it("401 expired-key once a key's expiresAt has passed", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"], expiresAt: new Date(Date.now() + 3600_000).toISOString() });
    // Not used yet, so no cache holds it: move its expiry into the past in D1.
    await env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?").bind(Date.now() - 1000, k.id).run();
    const problem = await expectProblem(await call("/v1/auth/me", { key: k.key }), 401, "expired-key");
    expect(problem.detail).toMatch(/expired/);
  });

  it("401 revoked-key / disabled-key / expired-key carry invalid_token", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const revoked = await createKey(admin, { scopes: ["admin"] });
    const disabled = await createKey(admin, { scopes: ["admin"] });
    const rolled = await createKey(admin, { scopes: ["admin"] });
    await call(`/v1/keys/${revoked.id}/revoke`, { key: admin, body: {} });
    await patch(`/v1/keys/${disabled.id}`, admin, { enabled: false });
    await call(`/v1/keys/${rolled.id}/roll`, { key: admin, body: { gracePeriodSeconds: 0 } });
    for (const [secret, kind] of [
      [revoked.key, "revoked-key"],
      [disabled.key, "disabled-key"],
      [rolled.key, "expired-key"],
    ] as const) {
      const res = await call("/v1/keys", { key: secret });
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="keygate", error="invalid_token"/);
      await expectProblem(res, 401, kind);
    }
  });
});
