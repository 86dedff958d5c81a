// Forwarding through real origins: the Node echo origin (verifies with origin/verify.ts) and the
// Python example origin (verifies with keygate_verify.py). Both answer with what they received.
import { beforeAll, describe, expect, it } from "vitest";
import { createKey, json, platformKey, tenantWithAdmin, call } from "../support/gateway.ts";
import { rateLimitFields } from "../support/limits.ts";

let platform: string;
let client: { key: string; id: string; tenantId: string };
beforeAll(async () => {
  platform = await platformKey();
  const { admin } = await tenantWithAdmin(platform);
  client = await createKey(admin, { scopes: ["query", "jobs:write", "jobs:read"], environment: "test" });
});

describe("forwarding", () => {
  it("POST /v1/query reaches the Python origin, whose own verifier accepts the signature", async () => {
    const res = await call("/v1/query?limit=5", { key: client.key, body: { sql: "select 1" } });
    expect(res.status).toBe(200);
    const seen = await json(res);
    expect(seen.verified).toBe(true);
    expect(seen.identity).toMatchObject({ keyId: client.id, tenantId: client.tenantId, environment: "test" });
    expect(seen.path).toBe("/v1/query");
    expect(seen.query).toContain("limit=5");
    expect(JSON.parse(seen.body)).toEqual({ sql: "select 1" });
    expect(res.headers.get("ratelimit")).toMatch(/^"burst";r=\d+/);
  });

  it("the Node origin verifies with the TypeScript helper and sees keygate's identity headers", async () => {
    const res = await call("/v1/echo/anything?x=1", { key: client.key, headers: { "X-Request-Id": "trace-42" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-origin")).toBe("echo");
    const seen = await json(res);
    expect(seen.verified).toBe(true);
    expect(seen.headers["x-request-id"]).toBe("trace-42");
    expect(seen.headers["x-keygate-key-id"]).toBe(client.id);
    expect(seen.headers["x-keygate-tenant-id"]).toBe(client.tenantId);
    expect(seen.headers["x-keygate-scopes"]).toBe("query jobs:write jobs:read");
    expect(seen.headers["x-keygate-environment"]).toBe("test");
    expect(seen.headers["signature-input"]).toMatch(/^kg=\("@method" "@authority" "@path" "@query"/);
    expect(seen.headers["signature-input"]).toContain('alg="ed25519"');
    expect(seen.identity.nonce).toMatch(/^[0-9a-f-]{36}$/); // one per forwarded request, for replay checks
    expect(seen.headers["content-digest"]).toBeUndefined(); // no body, nothing to digest
    expect(res.headers.get("x-request-id")).toBe("trace-42");
  });

  it("covers the body with a Content-Digest", async () => {
    const res = await call("/v1/echo/data", { key: client.key, method: "PUT", body: "hello", headers: { "content-type": "text/plain" } });
    const seen = await json(res);
    expect(seen.verified).toBe(true);
    expect(seen.headers["content-digest"]).toMatch(/^sha-256=:[A-Za-z0-9+/=]+:$/);
    expect(seen.body).toBe("hello");
  });

  it("passes any origin status and body through unchanged, adding only keygate's fields", async () => {
    const res = await call("/v1/echo/status/418", { key: client.key });
    expect(res.status).toBe(418);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect((await json(res)).verified).toBe(true);
    expect(res.headers.get("ratelimit-policy")).toBeTruthy();
    expect(res.headers.get("keep-alive")).toBeNull();
  });

  it("streams the origin's response", async () => {
    const res = await call("/v1/echo/stream", { key: client.key });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n");
  });

  it("charges a route's configured cost", async () => {
    const platform2 = await platformKey();
    const { admin } = await tenantWithAdmin(platform2);
    const slow = await createKey(admin, { scopes: ["query"], rateLimit: { capacity: 50, refillPerSecond: 0.01 } });
    const before = await call("/v1/echo/x", { key: slow.key });
    const r0 = rateLimitFields(before).state.burst!.r as number;
    await before.arrayBuffer();
    const costly = await call("/v1/echo/costly", { key: slow.key });
    expect(costly.status).toBe(200);
    expect(rateLimitFields(costly).state.burst!.r).toBe(r0 - 5);
  });

  it("publishes the signing keys as a JWKS, public parts only", async () => {
    const res = await call("/.well-known/jwks.json");
    expect(res.status).toBe(200);
    const jwks = await json(res);
    expect(jwks.keys.length).toBeGreaterThanOrEqual(1);
    expect(jwks.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519" });
    expect(jwks.keys[0].d).toBeUndefined();
  });

  it("lists configured routes in /openapi.json with their scope", async () => {
    const doc = await json(await call("/openapi.json"));
    expect(doc.paths["/v1/query"].post["x-keygate-scope"]).toBe("query");
    expect(doc.paths["/v1/ingest"].post["x-keygate-scope"]).toBe("jobs:write");
    expect(doc.paths["/v1/echo"].get["x-keygate-scope"]).toBe("query");
  });
});
