// /assets/*: the files under public/assets, served by the Worker itself from its ASSETS binding
// (wrangler.toml [assets]), with the page headers and no caching.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call } from "../support/gateway.ts";

describe("GET /assets/*", () => {
  it("the binding sees public/ (URL path = file path under public/)", async () => {
    const res = await env.ASSETS.fetch("https://assets.local/assets/docs/docs.js");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("/openapi.json");
  });

  it("serves the docs script with its content type, no caching, and the page headers", async () => {
    const res = await call("/assets/docs/docs.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^(text|application)\/javascript/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    const text = await res.text();
    expect(text).toContain('Scalar.createApiReference("#reference"');
    expect(text).toContain('url: "/openapi.json"');
  });

  it("serves the vendored libraries copied by npm install (scripts/vendor-assets.mjs)", async () => {
    const cases = [
      ["/assets/vendor/scalar/standalone.js", /javascript/, "@scalar/api-reference"],
      ["/assets/vendor/scalar/style.css", /^text\/css/, ".scalar-app"],
      ["/assets/vendor/uplot/uPlot.iife.min.js", /javascript/, "uPlot"],
      ["/assets/vendor/uplot/uPlot.min.css", /^text\/css/, ".uplot"],
    ] as const;
    for (const [path, type, marker] of cases) {
      const res = await call(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toMatch(type);
      expect(res.headers.get("cache-control"), path).toBe("no-store");
      expect(await res.text(), path).toContain(marker);
    }
  });

  it("HEAD answers the headers without the body", async () => {
    const res = await call("/assets/docs/docs.js", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/javascript/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.text()).toBe("");
  });

  it("needs no key, and a query string changes nothing", async () => {
    const res = await call("/assets/docs/docs.js?v=2");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("/openapi.json");
  });
});
