// Every way a credential can fail, each with its own stable problem type and RFC 6750 challenge.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/keys/format.ts";
import { memory } from "../../src/keys/lookup.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

const P = "https://keygate.dev/problems/";
let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

async function expectProblem(res: Response, status: number, kind: string, challenge?: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = await json(res);
  expect(body).toMatchObject({ type: P + kind, status });
  expect(body.title).toEqual(expect.any(String));
  expect(body.detail).toEqual(expect.any(String));
  expect(body.request_id).toBe(res.headers.get("x-request-id"));
  expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack trace
  if (challenge) expect(res.headers.get("www-authenticate")).toMatch(challenge);
  return body;
}

const ME = "/v1/auth/me";

describe("authentication failures", () => {
  it("no credential: 401 with a bare Bearer challenge", async () => {
    const res = await call(ME);
    await expectProblem(res, 401, "missing-credential");
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="keygate"');
  });

  it("another scheme: 401 that names the Bearer scheme", async () => {
    await expectProblem(await call(ME, { headers: { Authorization: "Basic dXNlcjpwYXNz" } }), 401, "missing-credential", /^Bearer realm="keygate"$/);
  });

  it("malformed key or bad checksum: 401 invalid_token", async () => {
    const good = generateKey("live");
    const typo = good.slice(0, 20) + (good[20] === "a" ? "b" : "a") + good.slice(21);
    for (const key of ["nope", "kg_live_abc", typo, "Bearer"]) {
      await expectProblem(await call(ME, { key }), 401, "malformed-key", /error="invalid_token"/);
    }
  });

  it("unknown key: 401 invalid_token", async () => {
    await expectProblem(await call(ME, { key: generateKey("test") }), 401, "unknown-key", /error="invalid_token"/);
  });

  it("revoked key: 401 at once in the isolate that revoked it", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { permissionSet: "read_only" });
    expect((await call(ME, { key: k.key })).status).toBe(200); // warm every cache
    await call(`/v1/keys/${k.id}/revoke`, { key: admin, body: {} });
    await expectProblem(await call(ME, { key: k.key }), 401, "revoked-key", /error="invalid_token"/);
  });

  it("disabled key: 401, and enabling it again restores it", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { permissionSet: "read_only" });
    await call(`/v1/keys/${k.id}`, { method: "PATCH", key: admin, body: { enabled: false } });
    await expectProblem(await call(ME, { key: k.key }), 401, "disabled-key", /error="invalid_token"/);
    await call(`/v1/keys/${k.id}`, { method: "PATCH", key: admin, body: { enabled: true } });
    expect((await call(ME, { key: k.key })).status).toBe(200);
  });

  it("expired key: 401", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { permissionSet: "read_only", expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await call(ME, { key: k.key })).status).toBe(200);
    // Time passes: move the deadline into the past in D1 and drop the cached copies.
    await env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?").bind(Date.now() - 1, k.id).run();
    memory.keys.clear();
    await env.KEY_CACHE.delete((await env.KEY_CACHE.list()).keys.find(() => true)!.name).catch(() => {});
    for (const { name } of (await env.KEY_CACHE.list()).keys) await env.KEY_CACHE.delete(name);
    await expectProblem(await call(ME, { key: k.key }), 401, "expired-key", /error="invalid_token"/);
  });

  it("a rolled secret past its grace period: 401 expired", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { permissionSet: "read_only" });
    const rolled = await json(await call(`/v1/keys/${k.id}/roll`, { key: admin, body: { gracePeriodSeconds: 0 } }));
    const body = await expectProblem(await call(ME, { key: k.key }), 401, "expired-key");
    expect(body.detail).toMatch(/rolled/);
    expect((await call(ME, { key: rolled.key })).status).toBe(200);
  });

  it("inactive tenant: 403, and reactivation restores access", async () => {
    const { tenant, admin } = await tenantWithAdmin(platform);
    await call(`/v1/tenants/${tenant.id}`, { method: "PATCH", key: platform, body: { active: false } });
    await expectProblem(await call(ME, { key: admin }), 403, "tenant-inactive");
    await call(`/v1/tenants/${tenant.id}`, { method: "PATCH", key: platform, body: { active: true } });
    expect((await call(ME, { key: admin })).status).toBe(200);
  });

  it("missing scope: 403 insufficient_scope naming the scope", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const reader = await createKey(admin, { permissionSet: "read_only" });
    const res = await call("/v1/keys", { key: reader.key });
    await expectProblem(res, 403, "insufficient-scope");
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="keygate", error="insufficient_scope", error_description="This operation requires the \'admin\' scope.", scope="admin"');
  });

  it("two different credentials: 400 invalid_request", async () => {
    const a = generateKey("live");
    const b = generateKey("live");
    await expectProblem(await call(ME, { key: a, headers: { "X-API-Key": b } }), 400, "invalid-request", /error="invalid_request"/);
    await expectProblem(await call(ME, { headers: { "X-API-Key": `${a}, ${b}` } }), 400, "invalid-request");
    const doubled = new Headers();
    doubled.append("Authorization", `Bearer ${a}`);
    doubled.append("Authorization", `Bearer ${b}`);
    await expectProblem(await call(ME, { headers: Object.fromEntries([["authorization", doubled.get("authorization")!]]) }), 400, "invalid-request");
  });

  it("unknown /v1 route: 401 without a key (routes are not revealed), 404 with one", async () => {
    const { admin } = await tenantWithAdmin(platform);
    await expectProblem(await call("/v1/nothing-here"), 401, "missing-credential");
    await expectProblem(await call("/v1/nothing-here", { key: admin }), 404, "not-found");
  });
});
