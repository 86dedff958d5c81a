// What a person gets wrong at the console's door, in Chromium: a key that is not whole, and a key
// that may not sign in, each answered on the sign-in page with its status and without the key.
// Screenshot: test-artifacts/screenshots/console-sign-in-error.png.
import { expect, it } from "vitest";
import { describeBrowser, keyApi, screenshot, settle, useBrowser } from "../support/browser.ts";

describeBrowser("signing in to the console, wrongly", () => {
  const web = useBrowser();

  it("refuses a broken key and a key without admin scope, on the page and without echoing either", async () => {
    const platform = keyApi(web.gateway.baseUrl, web.gateway.platformKey);
    const tenant = await platform("POST", "/v1/tenants", { name: "Door", slug: `door-${crypto.randomUUID().slice(0, 8)}` });
    const readOnly = await platform("POST", "/v1/keys", { name: "reader", tenantId: tenant.body.id, permissionSet: "read_only" });
    expect(readOnly.status, JSON.stringify(readOnly.body)).toBe(201);

    const { page, report } = await web.open("/console/keys");
    expect(new URL(page.url()).pathname).toBe("/console/sign-in");
    const attempt = async (key: string) => {
      await page.getByTestId("signin-key").fill(key);
      const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === "POST"), page.getByTestId("signin-submit").click()]);
      await page.getByTestId("signin-error").waitFor();
      expect(await page.content()).not.toContain(key);
      // The field is empty again: the key is not kept in the page for another try.
      expect(await page.getByTestId("signin-key").inputValue()).toBe("");
      return { status: res.status(), error: await page.getByTestId("signin-error").innerText() };
    };

    const broken = web.gateway.platformKey.slice(0, -3);
    await expect(attempt(broken)).resolves.toEqual({ status: 401, error: expect.stringMatching(/not a whole keygate key/) });
    await settle(page);
    await screenshot(page, "console-sign-in-error");
    await expect(attempt(readOnly.body.key)).resolves.toEqual({ status: 403, error: expect.stringMatching(/admin or platform key/) });
    expect(await page.context().cookies()).toEqual([]);
    // Chromium's one line per refused document; nothing else (no script error, no CSP violation).
    expect(report.problems().filter((line) => !/status of 40[13] .*\/console\/sign-in:0\)$/.test(line))).toEqual([]);
  });
});
