// A console session opened with a key: the cookie the browser gets, the rows D1 keeps (never the
// key, never the token), the API answering through it, and sign-out ending it server-side.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sweep } from "../../src/jobs/sweep.ts";
import { dumpD1 } from "../support/admin.ts";
import { call, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { csrfOf, formPost, signIn } from "../support/people.ts";

describe("signing in with a key", () => {
  it("sets a __Host- cookie (HttpOnly, SameSite=Strict, Secure, ≤ 12 h) holding neither the key nor its hash", async () => {
    const platform = await platformKey();
    const { res, cookie } = await signIn(platform);
    expect(res.status).toBe(303);
    const set = res.headers.get("set-cookie")!;
    expect(set).toMatch(/^__Host-kg_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict; Secure$/);
    expect(Number(/Max-Age=(\d+)/.exec(set)![1])).toBeLessThanOrEqual(12 * 3600);
    expect(set).not.toContain(platform);
    const d1 = await dumpD1();
    expect(d1).not.toContain(platform);
    expect(d1).not.toContain(cookie!.split("=")[1]);
  });

  it("the API answers through the session, as the key; changes need the session's CSRF token", async () => {
    const platform = await platformKey();
    const { cookie } = await signIn(platform);
    const me = await json(await call("/v1/auth/me", { headers: { cookie: cookie! } }));
    expect(me.key.scopes).toContain("platform");
    expect(me.session.expiresAt).toMatch(/^\d{4}-/);
    const csrf = await csrfOf(cookie!);
    const made = await call("/v1/tenants", {
      body: { name: "By session", slug: `session-${Date.now().toString(36)}`, plan: "pro" },
      headers: { cookie: cookie!, "x-csrf-token": csrf, "sec-fetch-site": "same-origin" },
    });
    expect(made.status).toBe(201);
    const audit = await json(await call(`/v1/audit?targetId=${(await json(made)).id}`, { key: platform }));
    expect(audit.data[0].actor.type).toBe("key");
  });

  it("a tenant's admin key signs in too, and its session sees only its tenant", async () => {
    const platform = await platformKey();
    const a = await tenantWithAdmin(platform);
    const b = await tenantWithAdmin(platform);
    const { cookie } = await signIn(a.admin);
    expect((await call(`/v1/keys/${a.adminId}`, { headers: { cookie: cookie! } })).status).toBe(200);
    expect((await call(`/v1/keys/${b.adminId}`, { headers: { cookie: cookie! } })).status).toBe(404);
  });

  it("sign-out ends the session in D1; the same cookie then opens nothing", async () => {
    const platform = await platformKey();
    const { cookie } = await signIn(platform);
    const csrf = await csrfOf(cookie!);
    const out = await formPost("/console/sign-out", { csrf }, { cookie: cookie! });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/Max-Age=0/);
    const { results } = await env.DB.prepare("SELECT ended_at FROM console_sessions WHERE csrf = ?").bind(csrf).all<{ ended_at: number | null }>();
    expect(results[0]!.ended_at).not.toBeNull();
    const after = await call("/v1/auth/me", { headers: { cookie: cookie! } });
    expect(after.status).toBe(401);
    expect((await json(after)).detail).toMatch(/session has ended/);
    // The cron forgets ended sessions.
    expect((await sweep(env)).endedSessions).toBeGreaterThanOrEqual(1);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM console_sessions WHERE csrf = ?").bind(csrf).first<{ n: number }>())!.n).toBe(0);
  });
});
