// The console in Chromium as the platform key's holder, one session for the whole file: signing in
// from the keyboard, creating a tenant and a key (the secret shown once, then gone), revoking it,
// a chart drawn from real traffic, every page under the console's CSP (desktop and phone width),
// and signing out for good. Screenshots: test-artifacts/screenshots/console-*.png.
import type { BrowserContext, Page } from "playwright-core";
import { beforeAll, expect, it } from "vitest";
import { describeBrowser, keyApi, screenshot, settle, useBrowser, type PageReport } from "../support/browser.ts";

const PROBLEM = "https://keygate.dev/problems/";
const SECRET = /^kg_live_[0-9A-Za-z]{38}$/;

describeBrowser("the console, signed in with the platform key", () => {
  const web = useBrowser();
  const suffix = crypto.randomUUID().slice(0, 8);
  let page: Page;
  let context: BrowserContext;
  let report: PageReport;
  let platform: ReturnType<typeof keyApi>;
  /** A key with traffic of its own, sent first so the rollups' lag overlaps the flows before the charts. */
  const traffic = { keyId: "", good: 5, bad: 3 };
  /** The key created in the console, then revoked there. */
  const made = { id: "", secret: "", tenantId: "" };

  const everywhere = async (text: string) => {
    const stored = await page.evaluate<string>("JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie, url: location.href })");
    return stored.includes(text) || (await page.content()).includes(text);
  };

  /** No console error or CSP violation since the last look. */
  let seen = 0;
  const clean = () => {
    expect(report.problems().slice(seen)).toEqual([]);
    seen = report.problems().length;
  };

  /**
   * Goes to a page, lets its scripts finish, saves it, and holds it to no console error or CSP
   * violation (but Chromium's own line about the document's status, when that is not 200).
   */
  async function visit(pathname: string, name: string, status = 200) {
    clean();
    const res = await page.goto(pathname);
    expect(res?.status(), pathname).toBe(status);
    await settle(page);
    await screenshot(page, name);
    const own = new RegExp(`status of ${status} .*${pathname.replace(/[?.]/g, "\\$&")}:0\\)$`);
    expect(report.problems().slice(seen).filter((line) => status === 200 || !own.test(line)), pathname).toEqual([]);
    seen = report.problems().length;
  }

  /** Resolves once the current page has loaded again (console.js reloads after a change). */
  const reloaded = () => page.waitForResponse((r) => r.request().resourceType() === "document" && r.request().method() === "GET");

  beforeAll(async () => {
    const { baseUrl } = web.gateway;
    platform = keyApi(baseUrl, web.gateway.platformKey);
    const tenant = await platform("POST", "/v1/tenants", { name: `Traffic ${suffix}`, slug: `traffic-${suffix}` });
    expect(tenant.status, JSON.stringify(tenant.body)).toBe(201);
    const key = await platform("POST", "/v1/keys", { name: "traffic", tenantId: tenant.body.id, permissionSet: "read_only" });
    expect(key.status, JSON.stringify(key.body)).toBe(201);
    traffic.keyId = key.body.id;
    for (let i = 0; i < traffic.good; i++) expect((await keyApi(baseUrl, key.body.key)("GET", "/v1/auth/me")).status).toBe(200);
    for (let i = 0; i < traffic.bad; i++) expect((await keyApi(baseUrl, `kg_live_not-a-key-${i}`)("GET", "/v1/auth/me")).status).toBe(401);
  });

  it("signs in from the keyboard; the browser then holds an HttpOnly session cookie and never the key", async () => {
    const key = web.gateway.platformKey;
    ({ page, context, report } = await web.open("/console"));
    expect(new URL(page.url()).pathname).toBe("/console/sign-in");
    await settle(page);
    await screenshot(page, "console-sign-in");
    const focused = () => page.evaluate<string | null | undefined>('document.activeElement?.getAttribute("data-testid")');
    expect(await focused()).toBe("signin-key");
    await page.keyboard.type(key);
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("signin-submit");
    await Promise.all([page.waitForURL((u) => u.pathname === "/console"), page.keyboard.press("Enter")]);
    await expect(page.getByTestId("whoami").innerText()).resolves.toMatch(/platform key/);

    const cookies = await context.cookies();
    expect(cookies.map((c) => c.name)).toEqual(["kg_session"]);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
    expect(cookies[0]!.value).not.toContain(key);
    expect(await page.evaluate("document.cookie")).toBe("");
    expect(await everywhere(key)).toBe(false);
    clean();
  });

  it("creates a tenant, then a key whose secret is shown once, copied, and gone after the dialog", async () => {
    await visit("/console/tenants", "console-tenants");
    await page.getByTestId("tenant-create-open").click();
    await page.getByTestId("tenant-create-name").fill(`Acme ${suffix}`);
    await page.getByTestId("tenant-create-slug").fill(`acme-${suffix}`);
    await page.getByTestId("tenant-create-plan").selectOption("free");
    await Promise.all([page.waitForURL(/\/console\/tenants\/ten_/), page.getByTestId("tenant-create-submit").click()]);
    made.tenantId = new URL(page.url()).pathname.split("/").pop()!;
    await settle(page);
    await screenshot(page, "console-tenant");
    await expect(page.locator("h1").innerText()).resolves.toBe(`Acme ${suffix}`);

    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: web.gateway.baseUrl });
    await page.getByTestId("key-create-open").click();
    await page.getByTestId("key-create-dialog").waitFor();
    await page.getByTestId("key-create-name").fill("billing-service");
    await page.getByTestId("key-create-submit").click();
    const dialog = page.getByTestId("key-secret-dialog");
    await dialog.waitFor();
    made.secret = await page.getByTestId("key-secret").innerText();
    expect(made.secret).toMatch(SECRET);
    made.id = (await dialog.locator("[data-secret-link]").getAttribute("href"))!.split("/").pop()!;
    expect(made.id).toMatch(/^key_/);

    await page.getByTestId("key-secret-copy").click();
    await expect.poll(() => dialog.locator("[data-copy-status]").innerText()).toBe("Copied to the clipboard.");
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(made.secret);
    await screenshot(page, "console-key-secret", { mask: [page.getByTestId("key-secret")] });

    await Promise.all([reloaded(), page.getByTestId("key-secret-done").click()]);
    await page.getByTestId(`row-${made.id}`).waitFor();
    expect(await everywhere(made.secret)).toBe(false);
    await page.reload();
    expect(await everywhere(made.secret)).toBe(false);
    // Nothing but the dialog ever had it: the key's own page names only its last four.
    await visit(`/console/keys/${made.id}`, "console-key");
    expect(await everywhere(made.secret)).toBe(false);
    await expect(page.locator("#key-facts").innerText()).resolves.toContain(`…${made.secret.slice(-4)}`);
    await page.evaluate('navigator.clipboard.writeText("")');
  });

  it("revokes the key with a reason; the API then refuses it (401 revoked-key)", async () => {
    expect((await keyApi(web.gateway.baseUrl, made.secret)("GET", "/v1/auth/me")).status).toBe(200);
    await page.getByTestId("key-revoke").click();
    await page.getByTestId("key-revoke-dialog").waitFor();
    await page.getByTestId("key-revoke-reason").fill("leaked in a CI log");
    await Promise.all([reloaded(), page.getByTestId("key-revoke-reason").press("Enter")]);
    await settle(page);
    await expect(page.locator(".notice").first().innerText()).resolves.toMatch(/Revoked\.[\s\S]*leaked in a CI log/);
    expect(await page.getByTestId("key-revoke").count()).toBe(0);
    await screenshot(page, "console-key-revoked");
    clean();

    const res = await fetch(`${web.gateway.baseUrl}/v1/auth/me`, { headers: { authorization: `Bearer ${made.secret}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const text = await res.text();
    expect(JSON.parse(text).type).toBe(`${PROBLEM}revoked-key`);
    expect(text).not.toContain(made.secret);
  });

  it("draws the charts from real traffic once the rollups have it", async () => {
    const sum = async (q: string, outcomes: string[]) => {
      const r = await platform("GET", `/v1/analytics?interval=minute&groupBy=outcome${q}`);
      expect(r.status).toBe(200);
      return (r.body.data as { outcome: string; requests: number }[]).filter((p) => outcomes.includes(p.outcome)).reduce((n, p) => n + p.requests, 0);
    };
    // Rollups lag up to 20 s behind the requests (README "Lag").
    await expect.poll(() => sum(`&keyId=${traffic.keyId}`, ["valid"]), { timeout: 40_000, interval: 1_000 }).toBe(traffic.good);
    await expect.poll(() => sum("", ["malformed_key"]), { timeout: 25_000, interval: 1_000 }).toBeGreaterThanOrEqual(traffic.bad);

    const drawn = async (testid: string) => {
      const chart = page.locator(`[data-testid=${testid}][data-ready=true]`);
      await chart.waitFor({ timeout: 10_000 });
      // uPlot's canvas, sized and with something painted on it (not one transparent pixel throughout).
      return chart.locator("canvas").evaluate((canvas: any) => {
        const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
        return { width: canvas.width, height: canvas.height, painted };
      });
    };

    await page.goto("/console");
    const overview = await drawn("chart-outcomes");
    expect(overview.width).toBeGreaterThan(0);
    expect(overview.painted).toBeGreaterThan(100);
    expect(Number((await page.getByTestId("stat-auth-failures").locator(".stat-value").innerText()).replace(/\D/g, ""))).toBeGreaterThanOrEqual(traffic.bad);
    expect(Number((await page.getByTestId("stat-requests").locator(".stat-value").innerText()).replace(/\D/g, ""))).toBeGreaterThanOrEqual(traffic.good + traffic.bad);
    await settle(page);
    await screenshot(page, "console-overview");
    clean();

    await page.goto(`/console/keys/${traffic.keyId}`);
    const byOutcome = await drawn("chart-outcomes");
    const byRoute = await drawn("chart-routes");
    expect(byOutcome.painted).toBeGreaterThan(100);
    expect(byRoute.painted).toBeGreaterThan(100);
    await expect(page.locator("[data-testid=chart-routes] table.sr-only").innerText()).resolves.toContain("GET /v1/auth/me");
    await settle(page);
    await screenshot(page, "console-key-traffic");
    clean();
  });

  it("shows every other page without a console error or CSP violation", async () => {
    await visit("/console/keys", "console-keys");
    expect(await page.getByTestId(`row-${made.id}`).count()).toBe(1);
    await visit(`/console/keys?tenant=${made.tenantId}&state=revoked`, "console-keys-filtered");
    await expect(page.getByTestId("key-table").innerText()).resolves.toContain("billing-service");
    await visit(`/console/audit`, "console-audit");
    await expect(page.getByTestId("audit-table").innerText()).resolves.toMatch(/key\.revoke/);
    await visit("/console/jobs", "console-jobs");
    await visit("/console/alerts", "console-alerts");
    await visit("/console/operators", "console-operators");
    await visit("/console/no-such-page", "console-not-found", 404);
  });

  it("fits a phone's width", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [pathname, name] of [
      ["/console", "console-phone-overview"],
      [`/console/keys/${traffic.keyId}`, "console-phone-key"],
      ["/console/keys", "console-phone-keys"],
    ]) {
      await visit(pathname!, name!);
      const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
      expect(overflow, `${pathname} is wider than the phone`).toBeLessThanOrEqual(0);
    }
    await page.locator(".nav-narrow summary").click();
    await screenshot(page, "console-phone-menu");
    await page.setViewportSize({ width: 1280, height: 720 });
  });

  it("signs out: back to the sign-in page, and the old cookie is dead on the server too", async () => {
    const cookie = (await context.cookies()).find((c) => c.name === "kg_session")!;
    const me = (headers: Record<string, string>) => fetch(`${web.gateway.baseUrl}/v1/auth/me`, { headers });
    expect((await me({ cookie: `kg_session=${cookie.value}` })).status).toBe(200);

    await page.goto("/console");
    await Promise.all([page.waitForURL((u) => u.pathname === "/console/sign-in"), page.getByTestId("signout").click()]);
    expect((await context.cookies()).find((c) => c.name === "kg_session")).toBeUndefined();
    const res = await me({ cookie: `kg_session=${cookie.value}` });
    expect(res.status).toBe(401);
    await page.goto("/console/keys");
    expect(new URL(page.url()).pathname).toBe("/console/sign-in");
    clean();
  });
});
