// What the console holds people to, in Chromium, signed in through the local Access issuer: a
// viewer sees no control that changes anything, and a change sent from the page itself is refused
// (403 operator-role) all the same; a tenant's operator sees only that tenant, and another
// tenant's key or tenant is a 404 page. Screenshots: test-artifacts/screenshots/{viewer,tenant-op}-*.png.
import { beforeAll, expect, inject, it } from "vitest";
import { accessMinter } from "../support/access-issuer.ts";
import { describeBrowser, keyApi, screenshot, settle, useBrowser, type OpenedPage } from "../support/browser.ts";

const PROBLEM = "https://keygate.dev/problems/";

/** Every control the console has for a change (README "The console"; src/console/index.ts). */
const WRITE_CONTROLS = [
  "key-create-open",
  "key-roll",
  "key-enable",
  "key-disable",
  "key-revoke",
  "key-edit-open",
  "tenant-create-open",
  "tenant-edit-open",
  "tenant-deactivate",
  "tenant-activate",
  "alert-create-open",
  "alert-enable",
  "alert-disable",
  "alert-delete",
  "job-cancel",
  "operator-create-open",
];
const WRITES = [...WRITE_CONTROLS.map((id) => `[data-testid="${id}"]`), "form[data-api]", "button[data-api]", "[data-open-dialog]", "[data-testid^=operator-remove-]"].join(", ");

describeBrowser("the console for operators signed in through Access", () => {
  const web = useBrowser();
  const minter = accessMinter(inject("keygateAccess"));
  const suffix = crypto.randomUUID().slice(0, 8);
  const a = { tenant: "", name: `Alpha ${suffix}`, key: "" };
  const b = { tenant: "", name: `Bravo ${suffix}`, key: "" };
  const viewer = `viewer-${suffix}@example.com`;
  const tenantOp = `tenant-op-${suffix}@example.com`;

  beforeAll(async () => {
    const platform = keyApi(web.gateway.baseUrl, web.gateway.platformKey);
    for (const t of [a, b]) {
      const tenant = await platform("POST", "/v1/tenants", { name: t.name, slug: t.name.toLowerCase().replace(" ", "-") });
      expect(tenant.status, JSON.stringify(tenant.body)).toBe(201);
      t.tenant = tenant.body.id;
      const key = await platform("POST", "/v1/keys", { name: `${t.name} service`, tenantId: t.tenant, permissionSet: "read_only" });
      expect(key.status, JSON.stringify(key.body)).toBe(201);
      t.key = key.body.id;
    }
    for (const body of [
      { email: viewer, role: "viewer" },
      { email: tenantOp, role: "admin", tenantId: a.tenant },
    ]) {
      const made = await platform("POST", "/v1/operators", body);
      expect(made.status, JSON.stringify(made.body)).toBe(201);
    }
  });

  /** Opens a page as the person; answers it once its scripts are done, held to no console error or CSP violation. */
  async function visit(opened: OpenedPage, pathname: string, name: string, status = 200) {
    const seen = opened.report.problems().length;
    const res = await opened.page.goto(pathname);
    expect(res?.status(), pathname).toBe(status);
    await settle(opened.page);
    await screenshot(opened.page, name);
    const own = (line: string) => status !== 200 && line.startsWith(`Failed to load resource: the server responded with a status of ${status} `) && line.includes(pathname);
    expect(opened.report.problems().slice(seen).filter((line) => !own(line)), pathname).toEqual([]);
  }

  it("shows a viewer no control that changes anything, and the API refuses the viewer's writes from the page", async () => {
    const opened = await web.open("/console", { accessJwt: await minter.mintAccessJwt({ email: viewer }) });
    const { page } = opened;
    await expect(page.getByTestId("whoami").innerText()).resolves.toMatch(new RegExp(`${viewer}[\\s\\S]*viewer`));
    for (const [pathname, name] of [
      ["/console", "viewer-overview"],
      ["/console/tenants", "viewer-tenants"],
      [`/console/tenants/${a.tenant}`, "viewer-tenant"],
      ["/console/keys", "viewer-keys"],
      [`/console/keys/${a.key}`, "viewer-key"],
      ["/console/audit", "viewer-audit"],
      ["/console/jobs", "viewer-jobs"],
      ["/console/alerts", "viewer-alerts"],
      ["/console/operators", "viewer-operators"],
    ] as const) {
      await visit(opened, pathname, name);
      expect(await page.locator(WRITES).count(), `write controls on ${pathname}`).toBe(0);
      // No dialog to show a secret in, and no CSRF token to send with a change.
      expect(await page.locator("#secret-dialog, meta[name=csrf-token]").count(), pathname).toBe(0);
    }

    // The page's own context, as a script injected into it would act: same origin, Access's header, the cookie.
    const attempts = await page.evaluate(
      async ({ tenantId, keyId }) => {
        const send = async (method: string, path: string, body: unknown) => {
          const res = await fetch(path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
          return { status: res.status, contentType: res.headers.get("content-type"), body: await res.json() };
        };
        return [
          await send("POST", "/v1/keys", { name: "from-the-page", tenantId, permissionSet: "read_only" }),
          await send("POST", `/v1/keys/${keyId}/revoke`, { reason: "a viewer tried" }),
          await send("PATCH", `/v1/tenants/${tenantId}`, { active: false }),
        ];
      },
      { tenantId: a.tenant, keyId: a.key },
    );
    for (const attempt of attempts) {
      expect(attempt).toMatchObject({ status: 403, contentType: expect.stringMatching(/^application\/problem\+json/), body: { type: `${PROBLEM}operator-role` } });
    }
    const platform = keyApi(web.gateway.baseUrl, web.gateway.platformKey);
    const keys = await platform("GET", `/v1/keys?tenantId=${a.tenant}`);
    expect(keys.body.data.map((k: { name: string; revokedAt: string | null }) => [k.name, k.revokedAt])).toEqual([[`${a.name} service`, null]]);
    expect((await platform("GET", `/v1/tenants/${a.tenant}`)).body.active).toBe(true);
  });

  it("shows a tenant's operator that tenant only: another tenant's key and tenant are 404 pages", async () => {
    const opened = await web.open("/console", { accessJwt: await minter.mintAccessJwt({ email: tenantOp }) });
    const { page } = opened;
    await expect(page.getByTestId("whoami").innerText()).resolves.toMatch(new RegExp(`${tenantOp}[\\s\\S]*admin[\\s\\S]*${a.name}`));
    const other = [b.tenant, b.key, b.name];
    const seesNoOther = async (where: string) => {
      const html = await page.content();
      for (const text of other) expect(html.includes(text), `${text} on ${where}`).toBe(false);
    };

    await visit(opened, "/console", "tenant-op-overview");
    await seesNoOther("the overview");
    await visit(opened, "/console/keys", "tenant-op-keys");
    expect(await page.getByTestId(`row-${a.key}`).count()).toBe(1);
    expect(await page.locator("[data-testid^=row-key_]").count()).toBe(1);
    await seesNoOther("the key list");
    await visit(opened, "/console/tenants", "tenant-op-tenants");
    expect(await page.locator(`a[href="/console/tenants/${a.tenant}"]`).count()).toBeGreaterThan(0);
    await seesNoOther("the tenants page");
    await visit(opened, `/console/tenants/${a.tenant}`, "tenant-op-tenant");
    await expect(page.locator("h1").innerText()).resolves.toBe(a.name);
    await seesNoOther("its tenant's page");
    await visit(opened, "/console/audit", "tenant-op-audit");
    await seesNoOther("the audit log");

    await visit(opened, `/console/keys/${b.key}`, "tenant-op-other-key", 404);
    await expect(page.locator("h1").innerText()).resolves.toBe("Not found");
    await seesNoOther("the 404 page for the other tenant's key");
    await visit(opened, `/console/tenants/${b.tenant}`, "tenant-op-other-tenant", 404);
    await expect(page.locator("h1").innerText()).resolves.toBe("Not found");
    await seesNoOther("the 404 page for the other tenant");
  });
});
