// The console's security properties: nobody signed in sees nothing; stored text is escaped; no page
// holds key material or inline script; the session cookie holds no key and ends server-side; the
// sign-in and sign-out forms refuse cross-site posts and sign-out needs the session's token.
import { beforeAll, describe, expect, it } from "vitest";
import { call, createKey, createTenant, platformKey } from "../support/gateway.ts";
import { csrfOf, FORM, KEY_MATERIAL, page, postSignIn, request, signIn } from "./helpers.ts";

const PAGES = ["/console", "/console/tenants", "/console/keys", "/console/audit", "/console/jobs", "/console/alerts", "/console/operators", "/console/tenants/ten_00000000", "/console/keys/key_00000000", "/console/nowhere"];
const HOSTILE_TENANT = "<script>alert(1)</script>";
const HOSTILE_KEY = `"><img src=x onerror=alert(1)>`;

let platform: string;
let tenant: any;
let key: any;

beforeAll(async () => {
  platform = await platformKey();
  tenant = await createTenant(platform, { name: HOSTILE_TENANT });
  key = await createKey(platform, { tenantId: tenant.id, name: HOSTILE_KEY, permissionSet: "read_only" });
  // A roll and a revoke leave a secret's prefix in the audit details: the pages must not show it.
  expect((await call(`/v1/keys/${key.id}/roll`, { key: platform, body: { gracePeriodSeconds: 0 } })).status).toBe(200);
});

describe("signed out", () => {
  it("every page redirects to the sign-in page, uncached", async () => {
    for (const path of PAGES) {
      const res = await request(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get("location")).toBe("/console/sign-in");
      expect(res.headers.get("cache-control")).toBe("no-store");
    }
  });

  it("a made-up session cookie is nobody", async () => {
    for (const cookie of ["__Host-kg_session=forged", "kg_session=forged"]) {
      const res = await request("/console/keys", { headers: { cookie } });
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/console/sign-in");
    }
  });

  it("the sign-in page has one field, named key, a password field without autocomplete", async () => {
    const res = await request("/console/sign-in");
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    const inputs = [...html.matchAll(/<input [^>]*>/g)].map((m) => m[0]);
    expect(inputs).toHaveLength(1);
    expect(inputs[0]).toMatch(/name="key"/);
    expect(inputs[0]).toMatch(/type="password"/);
    expect(inputs[0]).toMatch(/autocomplete="off"/);
    expect(html).toMatch(/<form method="post" action="\/console\/sign-in"/);
  });
});

describe("the session cookie", () => {
  it("holds a random token, never the key: HttpOnly, SameSite=Strict, Secure, __Host-, at most 12 hours", async () => {
    const res = await postSignIn(platform);
    expect(res.status).toBe(303);
    const setCookie = res.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/^__Host-kg_session=/);
    expect(setCookie).toMatch(/; HttpOnly/i);
    expect(setCookie).toMatch(/; SameSite=Strict/i);
    expect(setCookie).toMatch(/; Secure/i);
    expect(setCookie).toMatch(/; Path=\//);
    expect(Number(/Max-Age=(\d+)/i.exec(setCookie)![1])).toBeLessThanOrEqual(12 * 3600);
    expect(setCookie).not.toContain(platform);
    expect(setCookie).not.toMatch(KEY_MATERIAL);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });
});

describe("signed in", () => {
  let cookie: string;
  beforeAll(async () => {
    cookie = await signIn(platform);
  });

  it("escapes stored text: a hostile tenant name and key name are shown, never run", async () => {
    for (const path of ["/console/tenants", `/console/tenants/${tenant.id}`, "/console/keys", `/console/keys/${key.id}`, `/console/keys?tenant=${tenant.id}`]) {
      const { res, html } = await page(path, cookie);
      expect(res.status, path).toBe(200);
      expect(html).not.toContain(HOSTILE_TENANT);
      expect(html).not.toContain("<img src=x");
      expect(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;") || html.includes("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"), path).toBe(true);
    }
  });

  it("no page holds key material, inline script, inline handlers or style attributes", async () => {
    const paths = ["/console", "/console/tenants", `/console/tenants/${tenant.id}`, "/console/keys", `/console/keys/${key.id}`, "/console/audit", `/console/audit?targetId=${key.id}`, "/console/jobs", "/console/alerts", "/console/operators"];
    for (const path of paths) {
      const { res, html } = await page(path, cookie);
      expect(res.status, path).toBe(200);
      expect(html, path).not.toMatch(KEY_MATERIAL);
      for (const [tag] of html.matchAll(/<script\b[^>]*>/g)) expect(tag, path).toMatch(/\ssrc="\/assets\//);
      expect(html, path).not.toMatch(/<script\b[^>]*>[^<]+<\/script>/);
      // Attributes of every tag, their (escaped) values left out: no handler, no style.
      for (const [tag] of html.matchAll(/<[a-z][^>]*>/gi)) {
        const names = tag.replace(/="[^"]*"/g, "");
        expect(names, path).not.toMatch(/\son[a-z]+(=|\s|>|$)/i);
        expect(names, path).not.toMatch(/\sstyle(=|\s|>|$)/i);
      }
      expect(html, path).not.toMatch(/(src|href)="(https?:)?\/\//);
      expect(res.headers.get("cache-control")).toBe("no-store");
    }
  });

  it("the audit page shows a roll without the secret's prefix", async () => {
    const { html } = await page(`/console/audit?targetId=${key.id}`, cookie);
    expect(html).toContain("key.roll");
    expect(html).not.toContain('"prefix"');
    expect(html).not.toMatch(KEY_MATERIAL);
  });
});

describe("sign-in refuses cross-site posts", () => {
  it("Sec-Fetch-Site other than same-origin or none is 403, with no session", async () => {
    for (const site of ["cross-site", "same-site"]) {
      const res = await postSignIn(platform, { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": site });
      expect(res.status).toBe(403);
      expect(res.headers.get("set-cookie")).toBeNull();
      expect(await res.text()).not.toContain(platform);
    }
  });

  it("without Fetch Metadata, an Origin of another site is 403; this origin is fine", async () => {
    const foreign = await postSignIn(platform, { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get("set-cookie")).toBeNull();
    const own = await postSignIn(platform, { "content-type": "application/x-www-form-urlencoded", origin: "https://gw.test" });
    expect(own.status).toBe(303);
  });
});

describe("sign-out", () => {
  const signOut = (cookie: string, body: string, headers: Record<string, string> = FORM) => request("/console/sign-out", { method: "POST", body, headers: { ...headers, cookie } });

  it("needs the session's token: none, a wrong one or a cross-site post is 403 and the session lives on", async () => {
    const cookie = await signIn(platform);
    const csrf = csrfOf((await page("/console/keys", cookie)).html);
    for (const [body, headers] of [
      ["", FORM],
      ["csrf=wrong", FORM],
      [`csrf=${csrf}x`, FORM],
      [`csrf=${encodeURIComponent(csrf)}`, { ...FORM, "sec-fetch-site": "cross-site" }],
    ] as const) {
      const res = await signOut(cookie, body, headers);
      expect(res.status, body).toBe(403);
      expect(res.headers.get("set-cookie")).toBeNull();
    }
    expect((await page("/console/keys", cookie)).res.status).toBe(200);
  });

  it("ends the session server-side: the old cookie no longer opens a page nor calls the API", async () => {
    const cookie = await signIn(platform);
    const csrf = csrfOf((await page("/console", cookie)).html);
    const res = await signOut(cookie, `csrf=${encodeURIComponent(csrf)}`);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/console/sign-in");
    expect(res.headers.get("set-cookie")).toMatch(/Max-Age=0/);
    const after = await request("/console/keys", { headers: { cookie } });
    expect(after.status).toBe(303);
    expect(after.headers.get("location")).toBe("/console/sign-in");
    expect((await request("/v1/auth/me", { headers: { cookie } })).status).toBe(401);
  });
});
