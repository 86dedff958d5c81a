// Worker origins over RPC get keygate's word for who called, and nothing a client could forge:
// no credential, no identity-shaped header, and only what the key may reach. An origin that
// swallows the cut-off stream cannot get an oversized body accepted.
import { beforeAll, describe, expect, it } from "vitest";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { streamOf } from "../support/streams.ts";

let admin: string;
let client: { key: string; id: string; tenantId: string };
beforeAll(async () => {
  ({ admin } = await tenantWithAdmin(await platformKey()));
  client = await createKey(admin, { scopes: ["query"] });
});

describe("what a Worker origin over RPC receives", () => {
  it("no credential and no forged identity; the caller is keygate's", async () => {
    const res = await call("/v1/rpc", {
      body: { q: 1 },
      headers: {
        "x-api-key": client.key,
        "x-keygate-key-id": "key_forged",
        "x-keygate-tenant-id": "ten_forged",
        "x-forwarded-for": "10.0.0.1",
        "x-real-ip": "10.0.0.2",
        "cf-connecting-ip": "198.51.100.9",
      },
    });
    expect(res.status).toBe(200);
    const seen = await json(res);
    for (const name of ["authorization", "x-api-key", "x-keygate-key-id", "x-keygate-tenant-id", "x-forwarded-for", "x-real-ip", "cf-connecting-ip"]) {
      expect(seen.headers[name]).toBeUndefined();
    }
    expect(JSON.stringify(seen)).not.toContain(client.key);
    expect(seen.caller.keyId).toBe(client.id);
    expect(seen.caller.tenantId).toBe(client.tenantId);
  });

  it("an oversized stream is 413 even when the origin swallows the cut-off and answers", async () => {
    const res = await call("/v1/rpc/lenient", { key: client.key, method: "PUT", body: streamOf("x".repeat(900), "y".repeat(900)), headers: { "content-type": "text/plain" } });
    expect(res.status).toBe(413);
  });

  it("the origin cannot set cookies or CORS on the gateway's domain, nor hop-by-hop fields", async () => {
    const res = await call("/v1/rpc/teapot", { key: client.key });
    expect(res.status).toBe(418);
    for (const name of ["set-cookie", "access-control-allow-origin", "keep-alive", "connection", "x-hop"]) expect(res.headers.get(name), name).toBeNull();
    expect(res.headers.get("x-origin")).toBe("rpc");
  });
});

describe("who reaches a Worker origin over RPC", () => {
  it("a key without the route's scope: 403", async () => {
    const other = await createKey(admin, { scopes: ["jobs:read"] });
    expect((await call("/v1/rpc", { key: other.key })).status).toBe(403);
  });

  it("a key held to other resources: 403", async () => {
    const held = await createKey(admin, { scopes: ["query"], resources: { agent: ["a_1"] } });
    expect((await call("/v1/rpc-agents/a_1", { key: held.key })).status).toBe(200);
    expect((await call("/v1/rpc-agents/a_2", { key: held.key })).status).toBe(403);
  });

  it("a revoked key: 401 at once", async () => {
    const doomed = await createKey(admin, { scopes: ["query"] });
    expect((await call("/v1/rpc", { key: doomed.key })).status).toBe(200);
    expect((await call(`/v1/keys/${doomed.id}/revoke`, { key: admin, body: { reason: "rpc test" } })).status).toBe(200);
    expect((await call("/v1/rpc", { key: doomed.key })).status).toBe(401);
  });

  it("no key: 401, and the origin is not called", async () => {
    expect((await call("/v1/rpc")).status).toBe(401);
  });
});
