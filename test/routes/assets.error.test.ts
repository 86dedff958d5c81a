// /assets/* refusals: a file that does not exist is a 404 problem (with the page headers, never
// cached), and no spelling of a path reaches anything outside public/assets.
import { describe, expect, it } from "vitest";
import { expectProblem } from "../support/admin.ts";
import { call } from "../support/gateway.ts";

describe("GET /assets/*, refused", () => {
  it("a missing file: 404 not-found problem, not cached", async () => {
    const res = await call("/assets/docs/nope.js");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    await expectProblem(res, 404, "not-found");
  });

  it("a directory, or /assets/ itself: 404 problem, no listing", async () => {
    for (const path of ["/assets/", "/assets/docs/", "/assets/vendor", "/assets"]) {
      const res = await call(path);
      await expectProblem(res, 404, "not-found");
    }
  });

  it("HEAD of a missing file: 404, no body", async () => {
    const res = await call("/assets/docs/nope.js", { method: "HEAD" });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("");
  });

  it("a path that climbs out of public/assets reaches nothing outside it", async () => {
    const paths = [
      "/assets/../wrangler.toml",
      "/assets/docs/../../wrangler.toml",
      "/assets/%2e%2e/%2e%2e/wrangler.toml",
      "/assets/..%2f..%2fwrangler.toml",
      "/assets/..%5c..%5cwrangler.toml",
      "/assets/%252e%252e/%252e%252e/wrangler.toml",
      "/assets/docs/..%2fdocs.js",
      "/assets//etc/passwd",
      "/assets/%2fetc%2fpasswd",
      "/assets/vendor/..",
    ];
    for (const path of paths) {
      const res = await call(path);
      const text = await res.text();
      expect([400, 404], `${path}: ${res.status}`).toContain(res.status);
      expect(res.headers.get("content-type"), path).toMatch(/^application\/problem\+json/);
      expect(text, path).not.toContain("compatibility_date");
      expect(text, path).not.toContain("root:");
    }
  });

  it("a file outside public/assets is not served even though it is in public/", async () => {
    // The URL path is the file path under public/: only /assets/* is routed to the binding.
    const res = await call("/vendor/scalar/standalone.js");
    await expectProblem(res, 404, "not-found");
  });

  it("a method other than GET/HEAD changes nothing and serves nothing", async () => {
    for (const method of ["POST", "PUT", "DELETE"]) {
      const res = await call("/assets/docs/docs.js", { method, body: "x", headers: { "content-type": "text/plain" } });
      expect([404, 405], `${method}: ${res.status}`).toContain(res.status);
      expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    }
  });
});
