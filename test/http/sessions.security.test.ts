// Console sessions, attacked: a read-only key signing in, cross-site changes, a missing or wrong
// CSRF token, a session outliving its key's revocation, an expired session, and a session used on
// a forwarded route.
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { expectProblem } from "../support/admin.ts";
import { call, createKey, platformKey, storeCounts, tenantWithAdmin } from "../support/gateway.ts";
import { csrfOf, signIn } from "../support/people.ts";

const tenantBody = () => ({ name: "X", slug: `x-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`, plan: "pro" });

describe("console sessions", () => {
  it("a key without admin or platform scope cannot sign in; a bad key is refused", async () => {
    const platform = await platformKey();
    const { tenant } = await tenantWithAdmin(platform);
    const reader = await createKey(platform, { tenantId: tenant.id, permissionSet: "read_only" });
    const { res, cookie } = await signIn(reader.key);
    expect(res.status).toBe(403);
    expect(cookie).toBeNull();
    const bad = await signIn("kg_live_notarealkeyatallnotarealkeyatall12");
    expect(bad.res.status).toBe(401);
    expect(bad.cookie).toBeNull();
  });

  it("changes need the session's own CSRF token, from this site", async () => {
    const platform = await platformKey();
    const { cookie } = await signIn(platform);
    const other = await signIn(platform);
    const csrf = await csrfOf(cookie!);
    const post = (headers: Record<string, string>) => call("/v1/tenants", { body: tenantBody(), headers: { cookie: cookie!, ...headers } });
    await expectProblem(await post({}), 403, "csrf-failed");
    await expectProblem(await post({ "x-csrf-token": "wrong" }), 403, "csrf-failed");
    await expectProblem(await post({ "x-csrf-token": await csrfOf(other.cookie!) }), 403, "csrf-failed");
    await expectProblem(await post({ "x-csrf-token": csrf, "sec-fetch-site": "cross-site" }), 403, "csrf-failed");
    await expectProblem(await post({ "x-csrf-token": csrf, "sec-fetch-site": "same-site" }), 403, "csrf-failed");
    expect((await post({ "x-csrf-token": csrf, "sec-fetch-site": "same-origin" })).status).toBe(201);
  });

  it("a cross-site sign-in post is refused (login CSRF)", async () => {
    const platform = await platformKey();
    const { res, cookie } = await signIn(platform, { "sec-fetch-site": "cross-site", origin: "https://evil.example" });
    expect(res.status).toBe(403);
    expect(cookie).toBeNull();
  });

  it("revoking the key ends its sessions at once", async () => {
    const platform = await platformKey();
    const { admin, adminId } = await tenantWithAdmin(platform);
    const { cookie } = await signIn(admin);
    expect((await call("/v1/auth/me", { headers: { cookie: cookie! } })).status).toBe(200);
    expect((await call(`/v1/keys/${adminId}/revoke`, { key: platform, body: { reason: "leaked" } })).status).toBe(200);
    await expectProblem(await call("/v1/auth/me", { headers: { cookie: cookie! } }), 401, "revoked-key");
    // The console treats it as signed out.
    const page = await exports.default.fetch(new Request("https://gw.test/console", { headers: { cookie: cookie! }, redirect: "manual" }));
    expect(page.status).toBe(303);
  });

  it("an expired session opens nothing", async () => {
    const platform = await platformKey();
    const { cookie } = await signIn(platform);
    await env.DB.prepare("UPDATE console_sessions SET expires_at = ? WHERE csrf = ?").bind(Date.now() - 1, await csrfOf(cookie!)).run();
    await expectProblem(await call("/v1/auth/me", { headers: { cookie: cookie! } }), 401, "missing-credential");
  });

  it("a session never reaches a forwarded route", async () => {
    const platform = await platformKey();
    const { cookie } = await signIn(platform);
    await expectProblem(await call("/v1/echo", { headers: { cookie: cookie! } }), 401, "api-key-required");
  });
});

describe("sessions that go bad", () => {
  it("a session whose tenant was deactivated is signed out, not stuck on a 403", async () => {
    const platform = await platformKey();
    const { admin, tenant } = await tenantWithAdmin(platform);
    const { cookie } = await signIn(admin);
    expect((await call(`/v1/tenants/${tenant.id}`, { key: platform, method: "PATCH", body: { active: false } })).status).toBe(200);
    const page = await exports.default.fetch(new Request("https://gw.test/console/sign-in", { headers: { cookie: cookie! }, redirect: "manual" }));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="key"');
  });

  it("a made-up session cookie costs no D1 read", async () => {
    const res = await call("/v1/keys", { headers: { cookie: "__Host-kg_session=not-a-token-this-gateway-made" } });
    expect(res.status).toBe(401);
    expect(storeCounts(res)["d1-read"]).toBe(0);
  });

  it("a console query parameter naming an Object property is no 500", async () => {
    const platform = await platformKey();
    const { cookie } = await signIn(platform);
    for (const path of ["/console?range=constructor", "/console?range=__proto__", "/console/keys?state=toString"]) {
      const res = await exports.default.fetch(new Request(`https://gw.test${path}`, { headers: { cookie: cookie! }, redirect: "manual" }));
      expect(res.status, path).toBe(200);
    }
  });
});
