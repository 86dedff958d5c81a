import { describe, expect, it } from "vitest";
import { call, json } from "../support/gateway.ts";

describe("public routes", () => {
  it("GET /health answers without touching a store", async () => {
    const res = await call("/health");
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ status: "ok" });
    expect(res.headers.get("server-timing")).toContain('d1-read;desc="0"');
  });

  it("GET /openapi.json is OpenAPI 3.1 and names every route's scope", async () => {
    const doc = await json(await call("/openapi.json"));
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.paths["/v1/keys"].post["x-keygate-scope"]).toBe("admin");
    expect(doc.paths["/v1/tenants"].post["x-keygate-scope"]).toBe("platform");
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("GET /docs is a page whose scripts and styles all come from this gateway", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const html = await res.text();
    // Scalar, copied from node_modules, renders /openapi.json (named by the committed docs.js).
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.map((m) => /src="([^"]+)"/.exec(m[1]!)?.[1])).toEqual(["/assets/vendor/scalar/standalone.js", "/assets/docs/docs.js"]);
    // No inline script, inline style or inline event handler: the CSP would refuse them.
    for (const m of scripts) expect(m[2]).toBe("");
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    // Nothing from elsewhere: every URL the page names is a path on this gateway.
    for (const [, url] of html.matchAll(/(?:src|href)="([^"]*)"/g)) expect(url).toMatch(/^\/(?!\/)/);
    for (const [, url] of html.matchAll(/(?:src|href)="([^"]*)"/g)) expect((await call(url!)).status, url).toBe(200);
    expect((await call("/assets/docs/docs.js").then((r) => r.text()))).toContain('url: "/openapi.json"');
    // A page a browser renders gets the page headers: only this gateway's files may load, nothing
    // may frame it, and no cache keeps it.
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
  });

  it("sets security headers and keeps a valid incoming request id", async () => {
    const res = await call("/health", { headers: { "X-Request-Id": "trace-abc-123" } });
    expect(res.headers.get("x-request-id")).toBe("trace-abc-123");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("strict-transport-security")).toMatch(/max-age/);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("cross-origin-resource-policy")).toBe("same-origin");
    // Headers that only matter to rendered pages are left off API responses.
    expect(res.headers.get("cross-origin-opener-policy")).toBeNull();
    expect(res.headers.get("x-xss-protection")).toBeNull();
    expect(res.headers.get("content-security-policy")).toBeNull();
    expect(res.headers.get("cache-control")).toBeNull();
    const bad = await call("/health", { headers: { "X-Request-Id": "bad id with spaces\u0001" } });
    expect(bad.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("wrong method on a known path: 405 with Allow", async () => {
    const res = await call("/health", { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET");
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });

  it("unknown public path: 404 problem", async () => {
    const res = await call("/nope");
    expect(res.status).toBe(404);
    expect((await json(res)).type).toBe("https://keygate.dev/problems/not-found");
  });
});
