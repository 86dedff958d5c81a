// The browser suite's own footing: the local Cloudflare Access issuer publishes keys the way Access
// does and its tokens verify the way a relying party verifies them (jose, remote JWKS), through a
// key rotation; and Debian's Chromium loads the suite's `npm run dev` gateway, which trusts that
// issuer, /docs rendering under the page CSP (Scalar's refused inline styles and eval probe aside)
// (screenshot: test-artifacts/screenshots/docs.png).
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { describe, expect, inject, it } from "vitest";
import { accessMinter } from "../support/access-issuer.ts";
import { describeBrowser, screenshot, settle, useBrowser } from "../support/browser.ts";

describe("the local Access issuer", () => {
  const access = inject("keygateAccess");
  const minter = accessMinter(access);
  const verify = (token: string) => jwtVerify(token, createRemoteJWKSet(new URL(access.certsUrl)), { issuer: access.teamDomain, audience: access.aud, algorithms: ["RS256"] });

  it("serves /cdn-cgi/access/certs in Access's shape, public halves only", async () => {
    const res = await fetch(access.certsUrl);
    expect(res.status).toBe(200);
    const certs: any = await res.json();
    expect(certs.keys).toEqual([{ kid: access.keys[0]!.kid, alg: "RS256", use: "sig", kty: "RSA", n: expect.any(String), e: "AQAB" }]);
    expect(certs.public_cert).toEqual({ kid: access.keys[0]!.kid });
    expect(certs.public_certs).toEqual([{ kid: access.keys[0]!.kid }]);
  });

  it("mints a token that jose verifies against the published keys", async () => {
    const token = await minter.mintAccessJwt({ email: "ada@example.com" });
    expect(decodeProtectedHeader(token)).toEqual({ alg: "RS256", kid: access.keys[0]!.kid });
    const { payload } = await verify(token);
    expect(payload).toMatchObject({ iss: access.teamDomain, aud: [access.aud], email: "ada@example.com", sub: expect.any(String), type: "app" });
    expect(payload.exp! - payload.iat!).toBe(300);
  });

  it("rotates: a second key is published beside the first, and tokens of either verify", async () => {
    const first = access.keys[0]!.kid;
    const second = await minter.rotate();
    try {
      const certs: any = await (await fetch(access.certsUrl)).json();
      expect(certs.keys.map((k: { kid: string }) => k.kid)).toEqual([second, first]);
      for (const kid of [first, second]) {
        const token = await minter.mintAccessJwt({ email: "grace@example.com", kid });
        expect(decodeProtectedHeader(token).kid).toBe(kid);
        expect((await verify(token)).payload.email).toBe("grace@example.com");
      }
    } finally {
      // The issuer is shared by the whole suite: leave it as it was.
      await minter.retire(second);
    }
    expect((await (await fetch(access.certsUrl)).json() as any).keys).toHaveLength(1);
  });
});

describeBrowser("Chromium on the suite's gateway", () => {
  const web = useBrowser();

  it("loads /health", async () => {
    const { page, response, report } = await web.open("/health");
    expect(response.status()).toBe(200);
    expect(JSON.parse(await page.locator("body").innerText())).toMatchObject({ status: "ok" });
    // A JSON document has no icon link, so Chromium asks for /favicon.ico, which the API does not serve.
    expect(report.problems().filter((line) => !/404.*\/favicon\.ico/.test(line))).toEqual([]);
  });

  it("renders /docs under the page CSP: only Scalar's own refused attempts, nothing else", async () => {
    const { page, response, report } = await web.open("/docs");
    expect(response.status()).toBe(200);
    expect(response.headers()["content-type"]).toMatch(/^text\/html/);
    await settle(page);
    await expect(page.title()).resolves.not.toBe("");
    await page.getByText("/v1/operators").first().waitFor({ timeout: 15_000 });
    await screenshot(page, "docs");
    // Scalar probes for eval and tries inline styles on top of its stylesheet; the CSP refuses
    // both and the page renders all the same. Anything else (our files, a script, a fetch
    // elsewhere) is a failure.
    const scalarAttempt = (line: string) =>
      /^Applying inline style violates the following Content Security Policy directive 'style-src 'self''/.test(line) ||
      /^CSP violation: (style-src-attr|style-src-elem) blocked inline at .*\/assets\/vendor\/scalar\/standalone\.js/.test(line) ||
      /^CSP violation: script-src blocked eval at .*\/assets\/vendor\/scalar\/standalone\.js/.test(line) ||
      /unsafe-eval/.test(line);
    expect(report.problems().filter((line) => !scalarAttempt(line))).toEqual([]);
  });

  it("trusts the suite's Access issuer: an operator's token, sent as Access sends it, signs them in", async () => {
    const { baseUrl, platformKey } = web.gateway;
    const email = `smoke-${crypto.randomUUID()}@example.com`;
    const made = await fetch(`${baseUrl}/v1/operators`, {
      method: "POST",
      headers: { authorization: `Bearer ${platformKey}`, "content-type": "application/json" },
      body: JSON.stringify({ email, role: "viewer" }),
    });
    expect(made.status, await made.clone().text()).toBe(201);
    const accessJwt = await accessMinter(inject("keygateAccess")).mintAccessJwt({ email });
    const { page, response } = await web.open("/v1/auth/me", { accessJwt });
    expect(response.status()).toBe(200);
    expect(JSON.parse(await page.locator("body").innerText())).toMatchObject({ key: null, operator: { email, role: "viewer" } });
  });

  it("is the gateway started for this suite, with a platform key", async () => {
    const { baseUrl, platformKey } = web.gateway;
    const res = await fetch(`${baseUrl}/v1/auth/me`, { headers: { authorization: `Bearer ${platformKey}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).key.scopes).toContain("platform");
  });
});
