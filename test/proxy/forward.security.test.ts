// What a client sends that must never reach an origin: its credential, identity and signature
// headers in any letter case and any number, forwarding and hop-by-hop headers.
import { beforeAll, describe, expect, it } from "vitest";
import { createKey, json, platformKey, tenantWithAdmin, call, BASE, storeCounts } from "../support/gateway.ts";
import { exports } from "cloudflare:workers";

let client: { key: string; id: string };
beforeAll(async () => {
  const platform = await platformKey();
  const { admin } = await tenantWithAdmin(platform);
  client = await createKey(admin, { scopes: ["query", "jobs:write"] });
});

const SMUGGLED = [
  "X-Keygate-Key-Id",
  "x-keygate-tenant-id",
  "X-KEYGATE-SCOPES",
  "X-Keygate-Environment",
  "X-Keygate-Job-Id",
  "X-Keygate-Anything",
  "Signature",
  "signature-input",
  "Content-Digest",
  "Forwarded",
  "X-Forwarded-For",
  "X-Forwarded-Host",
  "X-Real-IP",
  "CF-Connecting-IP",
  "Cookie",
  "Proxy-Authorization",
  "Upgrade",
  "TE",
  "X-Hop",
  "X-HTTP-Method-Override",
  "X-Method-Override",
  "X-Original-URL",
  "X-Rewrite-URL",
  "X-Forwarded-Prefix",
  "X-Client-IP",
  "Via",
];

describe("header smuggling", () => {
  it("no identity, signature, credential, forwarding or hop-by-hop header of the client reaches the origin", async () => {
    // The credential in X-Api-Key (Authorization too would be two methods: refused).
    const headers = new Headers({ "X-Api-Key": client.key, Connection: "X-Hop" });
    for (const name of SMUGGLED) {
      headers.append(name, "forged");
      headers.append(name.toLowerCase(), "forged-again");
    }
    const res = await exports.default.fetch(new Request(`${BASE}/v1/echo/smuggle`, { headers }));
    expect(res.status).toBe(200);
    const seen = await json(res);
    expect(seen.verified).toBe(true);
    const raw: string[] = seen.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) expect(raw[i + 1], raw[i]).not.toContain("forged");
    expect(JSON.stringify(seen)).not.toContain(client.key.slice(8));
    expect(seen.headers["x-keygate-key-id"]).toBe(client.id);
    expect(raw.filter((h, i) => i % 2 === 0 && h.toLowerCase() === "x-keygate-key-id")).toHaveLength(1);
  });

  it("the Python origin sees no credential either", async () => {
    const res = await call("/v1/query", { key: client.key, body: { q: 1 }, headers: { "X-Keygate-Tenant-Id": "ten_forged", Signature: "kg=:Zm9v:" } });
    const seen = await json(res);
    expect(seen.verified).toBe(true);
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers["x-keygate-tenant-id"]).not.toBe("ten_forged");
  });

  it("a key of the wrong scope is refused before anything is forwarded", async () => {
    const platform = await platformKey();
    const { admin } = await tenantWithAdmin(platform);
    const reader = await createKey(admin, { scopes: ["jobs:read"] });
    const res = await call("/v1/query", { key: reader.key, body: {} });
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toContain('scope="query"');
  });
});

describe("a key outside the credential headers", () => {
  it("is refused with 400 before anything is looked up, spent or forwarded, in any header", async () => {
    const other = "kg_live_" + "A".repeat(38);
    const cases: [string, string][] = [
      ["X-Customer-Token", client.key],
      ["X-Request-Id", client.key],
      ["Referer", `https://app.example.com/?key=${other}`],
      ["User-Agent", `script/1.0 (${other})`],
    ];
    for (const [name, value] of cases) {
      const res = await call("/v1/echo/leak", { key: client.key, headers: { [name]: value } });
      expect(res.status, name).toBe(400);
      const problem = await json(res);
      expect(problem.type).toBe("https://keygate.dev/problems/invalid-request");
      expect(res.headers.get("www-authenticate")).toContain('error="invalid_request"');
      expect(JSON.stringify(problem)).not.toContain(client.key.slice(8));
      expect(storeCounts(res)["do-call"] ?? 0, name).toBe(0);
    }
  });

  it("does not stop a key in its own header, once, or a cookie (never forwarded)", async () => {
    const res = await call("/v1/echo/fine", { key: client.key, headers: { Cookie: `k=${client.key}` } });
    expect(res.status).toBe(200);
    expect((await call("/v1/echo/fine", { headers: { "X-API-Key": client.key, Cookie: `k=${client.key}` } })).status).toBe(200);
  });
});

describe("paths an origin could read differently", () => {
  it("encoded slashes, backslashes, dots and percent signs are refused with 400 before anything is forwarded", async () => {
    for (const path of ["/v1/echo/..%2Fadmin", "/v1/echo/a%5Cb", "/v1/echo/..%252Fadmin", "/v1/echo/a%00b"]) {
      const res = await call(path, { key: client.key });
      expect(res.status, path).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
  });

  it("dot segments, encoded or not, are resolved by the URL parser before any routing", async () => {
    const res = await call("/v1/echo/%2e%2e/x", { key: client.key });
    expect(res.status).toBe(404); // /v1/x: no route; the origin never sees a dot segment
  });

  it("matches routes on the path as forwarded, not a decoded one", async () => {
    // %65 is "e": Hono would decode it to /v1/echo/x, but the origin would get /v1/%65cho/x.
    const res = await call("/v1/%65cho/x", { key: client.key });
    expect(res.status).toBe(404);
  });
});

describe("what comes back", () => {
  it("an origin's CORS, cookie and X-Powered-By headers never reach the client", async () => {
    const res = await call("/v1/echo/cors", { key: client.key, headers: { Origin: "https://evil.example" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(res.headers.get("x-powered-by")).toBeNull();
    expect(res.headers.get("content-type")).toBe("application/json");
  });
});
