// Every console page, for a platform session and for a tenant's admin: 200, never cached, the
// page CSP, the controls the browser tests drive, and data only from the API.
import { beforeAll, describe, expect, it } from "vitest";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { RECEIVER_URL } from "../support/webhooks.ts";
import { KEY_MATERIAL, page, signIn } from "./helpers.ts";

let platform: string;
let cookie: string;
let tenant: any;
let tenantAdmin: string;
let key: any;
let job: any;
let alert: any;
let operator: any;

beforeAll(async () => {
  platform = await platformKey();
  cookie = await signIn(platform);
  ({ tenant, admin: tenantAdmin } = await tenantWithAdmin(platform, { name: "Acme Pages" }));
  key = await createKey(platform, { tenantId: tenant.id, scopes: ["jobs:write", "jobs:read", "query"], name: "pipeline" });
  for (let i = 0; i < 3; i++) await call("/v1/auth/me", { key: key.key });
  const ingest = await call("/v1/ingest", { key: key.key, body: { source: "pages.csv", payload: { rows: 1 } } });
  expect(ingest.status).toBe(202);
  job = await json(ingest);
  const a = await call("/v1/alerts", { key: platform, body: { name: "Auth failures", metric: "auth_failures", threshold: 5, windowMinutes: 5, webhookUrl: `${RECEIVER_URL}/pages` } });
  expect(a.status).toBe(201);
  alert = await json(a);
  const o = await call("/v1/operators", { key: platform, body: { email: `pages-${Date.now()}@example.com`, role: "viewer" } });
  expect(o.status).toBe(201);
  operator = await json(o);
});

function expectPage(res: Response, html: string) {
  expect(res.status, html.slice(0, 500)).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/html/);
  expect(res.headers.get("cache-control")).toBe("no-store");
  const csp = res.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).not.toContain("unsafe-inline");
  expect(html.startsWith("<!doctype html>")).toBe(true);
  expect(html).toMatch(/<h1[^>]*>/);
  expect(html).not.toMatch(KEY_MATERIAL);
}

describe("console pages for a platform session", () => {
  const paths = () => [
    "/console",
    "/console?range=1h",
    "/console/tenants",
    `/console/tenants/${tenant.id}`,
    "/console/keys",
    `/console/keys?state=active&tenant=${tenant.id}&q=pipe`,
    `/console/keys/${key.id}`,
    `/console/keys/${key.id}?range=30d`,
    "/console/audit",
    `/console/audit?action=key.create&targetId=${key.id}`,
    "/console/jobs",
    "/console/jobs?status=pending",
    `/console/jobs/${job.id}`,
    "/console/alerts",
    `/console/alerts/${alert.id}`,
    "/console/operators",
  ];

  it("renders each page: 200, no-store, the page CSP, no key material", async () => {
    for (const path of paths()) {
      const { res, html } = await page(path, cookie);
      expectPage(res, html);
    }
  });

  it("the header says who is signed in, with a sign-out form carrying the session's token", async () => {
    const { html } = await page("/console", cookie);
    expect(html).toContain('data-testid="whoami"');
    expect(html).toContain("platform key");
    expect(html).toMatch(/<form method="post" action="\/console\/sign-out"[^>]*><input type="hidden" name="csrf" value="[^"]+"/);
    expect(html).toContain('data-testid="signout"');
  });

  it("the overview has the outcome chart, the totals and the offenders panel", async () => {
    const { html } = await page("/console", cookie);
    expect(html).toContain('data-testid="chart-outcomes"');
    for (const id of ["stat-requests", "stat-auth-failures", "stat-429", "stat-cost", "stat-alerts"]) expect(html).toContain(`data-testid="${id}"`);
    expect(html).toContain("Top offending networks");
    expect(html).toContain('src="/assets/vendor/uplot/uPlot.iife.min.js"');
    expect(html).toContain('src="/assets/console/charts.js"');
  });

  it("lists rows by id and links to their pages", async () => {
    expect((await page("/console/tenants", cookie)).html).toContain(`data-testid="row-${tenant.id}"`);
    const keys = (await page(`/console/keys?tenant=${tenant.id}`, cookie)).html;
    expect(keys).toContain(`data-testid="row-${key.id}"`);
    expect(keys).toContain(`href="/console/keys/${key.id}"`);
    expect(keys).toContain(`…${key.hint}`);
    expect((await page("/console/jobs", cookie)).html).toContain(`data-testid="row-${job.id}"`);
    expect((await page("/console/alerts", cookie)).html).toContain(`data-testid="row-${alert.id}"`);
    expect((await page("/console/operators", cookie)).html).toContain(`data-testid="row-${operator.id}"`);
  });

  it("a search finds a key by name; a filter that matches nothing says so", async () => {
    expect((await page("/console/keys?q=pipeline", cookie)).html).toContain(`data-testid="row-${key.id}"`);
    const none = (await page("/console/keys?q=no-such-key-anywhere", cookie)).html;
    expect(none).toContain("No keys match these filters");
  });

  it("the key page has its actions, charts and audit trail", async () => {
    const { html } = await page(`/console/keys/${key.id}`, cookie);
    for (const id of ["key-roll", "key-roll-confirm", "key-disable", "key-revoke", "key-revoke-reason", "key-revoke-confirm", "key-edit-form", "chart-outcomes", "chart-routes", "key-secret-dialog", "key-secret", "key-secret-copy"]) {
      expect(html, id).toContain(`data-testid="${id}"`);
    }
    expect(html).toContain('data-api="POST /v1/keys/' + key.id + '/revoke"');
    expect(html).toContain("key.create");
    // The secret dialog is rendered empty: only the client script ever fills it.
    expect(html).toMatch(/<code[^>]*data-testid="key-secret"[^>]*><\/code>/);
  });

  it("the tenants page offers the create form; the tenant page its edit and deactivate controls", async () => {
    const list = (await page("/console/tenants", cookie)).html;
    for (const id of ["tenant-create-name", "tenant-create-slug", "tenant-create-plan", "tenant-create-submit"]) expect(list).toContain(`data-testid="${id}"`);
    const one = (await page(`/console/tenants/${tenant.id}`, cookie)).html;
    expect(one).toContain('data-testid="tenant-edit-form"');
    expect(one).toContain('data-testid="tenant-deactivate"');
    expect(one).toContain('data-testid="key-create-open"');
  });

  it("an unknown console page is an HTML 404 inside the console", async () => {
    const { res, html } = await page("/console/nowhere", cookie);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(html).toContain("no such page");
    const missing = await page("/console/keys/key_0000000000000000000000", cookie);
    expect(missing.res.status).toBe(404);
    expect(missing.html).toContain("No such key");
  });
});

describe("console pages for a tenant's admin", () => {
  it("sees its own tenant only: no tenants list, no tenant filter, no offenders panel, no operators", async () => {
    const own = await signIn(tenantAdmin);
    const overview = await page("/console", own);
    expectPage(overview.res, overview.html);
    expect(overview.html).not.toContain("Top offending networks");
    expect(overview.html).toContain(`href="/console/tenants/${tenant.id}"`);
    expect(overview.html).not.toContain('href="/console/operators"');
    const keys = await page("/console/keys", own);
    expectPage(keys.res, keys.html);
    expect(keys.html).not.toContain('data-testid="key-filter-tenant"');
    expect(keys.html).toContain(`data-testid="row-${key.id}"`);
    const mine = await page(`/console/tenants/${tenant.id}`, own);
    expectPage(mine.res, mine.html);
    expect(mine.html).toContain("Acme Pages");
    expect(mine.html).not.toContain('data-testid="tenant-edit-form"');
    for (const path of ["/console/audit", "/console/alerts", `/console/keys/${key.id}`]) {
      const r = await page(path, own);
      expectPage(r.res, r.html);
    }
  });
});
