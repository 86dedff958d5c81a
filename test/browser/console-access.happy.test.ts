// Signing in to the console through Cloudflare Access, in Chromium: an owner the platform key added
// opens /console with a token from the local issuer (sent as Access sends it) and is signed in as
// themselves, with no sign-in page, no session cookie, and Access's own logout; their own row on the
// operators page offers no change (nobody changes or removes themselves).
// Screenshots: test-artifacts/screenshots/owner-*.png.
import { expect, inject, it } from "vitest";
import { accessMinter } from "../support/access-issuer.ts";
import { describeBrowser, keyApi, screenshot, settle, useBrowser } from "../support/browser.ts";

describeBrowser("the console behind Access", () => {
  const web = useBrowser();

  it("signs an owner in by their Access token and shows them as themselves", async () => {
    const email = `owner-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const made = await keyApi(web.gateway.baseUrl, web.gateway.platformKey)("POST", "/v1/operators", { email, role: "owner" });
    expect(made.status, JSON.stringify(made.body)).toBe(201);

    const { page, context, response, report } = await web.open("/console", { accessJwt: await minter().mintAccessJwt({ email }) });
    expect(response.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe("/console");
    await settle(page);
    await expect(page.getByTestId("whoami").innerText()).resolves.toMatch(new RegExp(`${email}[\\s\\S]*owner`));
    await expect(page.getByTestId("signout").getAttribute("href")).resolves.toBe("/cdn-cgi/access/logout");
    expect((await context.cookies()).map((c) => c.name)).toEqual(["CF_Authorization"]);
    await screenshot(page, "owner-overview");

    await page.goto("/console/operators");
    await settle(page);
    expect(await page.getByTestId(`row-${made.body.id}`).count()).toBe(1);
    expect(await page.getByTestId("operator-create-open").count()).toBe(1);
    await screenshot(page, "owner-operators");
    // Nobody changes or removes themselves (the API refuses it): their own row offers neither.
    expect(await page.getByTestId(`operator-remove-${made.body.id}`).count()).toBe(0);
    expect(await page.getByTestId(`operator-role-${made.body.id}`).count()).toBe(0);
    await expect(page.getByTestId(`row-${made.body.id}`).innerText()).resolves.toContain("you");
    expect(report.problems()).toEqual([]);
  });
});

const minter = () => accessMinter(inject("keygateAccess"));
