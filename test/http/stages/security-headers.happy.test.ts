// The page headers (CSP, COOP, no caching) go on the pages and the files they load, errors
// included: /docs, every /console path and /assets/*. Everything else keeps the API set alone.
import { describe, expect, it } from "vitest";
import { isPagePath } from "../../../src/http/stages/security-headers.ts";
import { call } from "../../support/gateway.ts";

const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
];

function expectPageHeaders(res: Response, path: string) {
  const csp = (res.headers.get("content-security-policy") ?? "").split(/;\s*/).filter(Boolean);
  expect(csp.sort(), path).toEqual([...PAGE_CSP].sort());
  expect(res.headers.get("cache-control"), path).toBe("no-store");
  expect(res.headers.get("cross-origin-opener-policy"), path).toBe("same-origin");
  // The API set is there too.
  expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
  expect(res.headers.get("x-frame-options"), path).toBe("DENY");
  expect(res.headers.get("referrer-policy"), path).toBe("no-referrer");
}

describe("page headers", () => {
  it("on /docs, /assets/* and every /console path, whatever the status", async () => {
    for (const path of ["/docs", "/assets/docs/docs.js", "/assets/nope.js", "/console", "/console/", "/console/no/such/page"]) {
      const res = await call(path);
      await res.arrayBuffer();
      expectPageHeaders(res, path);
    }
  });

  it("not on the API, nor on paths that only look like a page's", async () => {
    for (const path of ["/health", "/openapi.json", "/v1/auth/me", "/consoles", "/docs/x", "/assetsx/y", "/nope"]) {
      const res = await call(path);
      await res.arrayBuffer();
      expect(res.headers.get("content-security-policy"), path).toBeNull();
      expect(res.headers.get("cross-origin-opener-policy"), path).toBeNull();
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
    }
  });

  it("isPagePath: exact /docs and /console, prefixes /console/ and /assets/", () => {
    expect(["/docs", "/console", "/console/keys", "/assets/a.js"].every(isPagePath)).toBe(true);
    expect(["/", "/docs/", "/documents", "/consoles", "/assets", "/v1/console", "/v1/assets/x"].some(isPagePath)).toBe(false);
  });
});
