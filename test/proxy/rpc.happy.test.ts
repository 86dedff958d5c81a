// Worker origins over RPC: the route calls the test origin Worker's entrypoint method
// (test/support/rpc-origin-worker.ts) with the request and its caller, through a service binding.
import { beforeAll, describe, expect, it } from "vitest";
import { call, createKey, json, platformKey, storeCounts, tenantWithAdmin } from "../support/gateway.ts";
import { streamOf } from "../support/streams.ts";

let client: { key: string; id: string; tenantId: string };
beforeAll(async () => {
  const { admin } = await tenantWithAdmin(await platformKey());
  client = await createKey(admin, { scopes: ["query", "jobs:write", "jobs:read"], environment: "test" });
});

describe("a Worker origin over RPC", () => {
  it("gets the request and a typed caller, nothing signed", async () => {
    const res = await call("/v1/rpc/things?x=1", { key: client.key, body: { hello: "rpc" }, headers: { "X-Request-Id": "rpc-trace-1", "x-custom": "kept" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-origin")).toBe("rpc");
    const seen = await json(res);
    expect(seen.method).toBe("POST");
    expect(seen.url).toBe("https://rpc_origin.internal/v1/rpc/things?x=1");
    expect(JSON.parse(seen.body)).toEqual({ hello: "rpc" });
    expect(seen.caller).toEqual({ keyId: client.id, tenantId: client.tenantId, scopes: ["query", "jobs:write", "jobs:read"], environment: "test", requestId: "rpc-trace-1", route: "rpc" });
    expect(seen.headers["x-custom"]).toBe("kept");
    for (const name of ["signature", "signature-input", "content-digest", "x-keygate-key-id"]) expect(seen.headers[name]).toBeUndefined();
    // keygate's own fields on the answer, as on the HTTP path.
    expect(res.headers.get("x-request-id")).toBe("rpc-trace-1");
    expect(res.headers.get("ratelimit")).toMatch(/^"burst";r=\d+/);
  });

  it("streams a body of unknown length through, within the route's limit", async () => {
    const res = await call("/v1/rpc/stream", { key: client.key, method: "PUT", body: streamOf("a".repeat(500), "b".repeat(500)), headers: { "content-type": "application/octet-stream" } });
    expect(res.status).toBe(200);
    expect((await json(res)).body).toBe("a".repeat(500) + "b".repeat(500));
  });

  it("a warm key's call touches no D1 and no KV, like the HTTP path", async () => {
    await call("/v1/rpc", { key: client.key, body: {} });
    const res = await call("/v1/rpc", { key: client.key, body: {} });
    expect(res.status).toBe(200);
    const counts = storeCounts(res);
    expect((counts["d1-read"] ?? 0) + (counts["d1-write"] ?? 0) + (counts["kv-read"] ?? 0) + (counts["kv-write"] ?? 0)).toBe(0);
  });

  it("names the resource the key was admitted for", async () => {
    const res = await call("/v1/rpc-agents/a_7", { key: client.key });
    expect(res.status).toBe(200);
    expect((await json(res)).caller.resource).toEqual({ type: "agent", id: "a_7" });
  });

  it("calls the method the route names", async () => {
    const res = await call("/v1/rpc-other", { key: client.key });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("other");
  });

  it("passes the origin's status through", async () => {
    const res = await call("/v1/rpc/teapot", { key: client.key });
    expect(res.status).toBe(418);
    expect(await json(res)).toEqual({ short: "and stout" });
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("an ingest route makes its job and hands the origin its id", async () => {
    const res = await call("/v1/rpc-ingest", { key: client.key, body: { source: "rpc-test", payload: [1, 2] }, headers: { "Idempotency-Key": `rpc-${crypto.randomUUID()}` } });
    // The test origin refuses a call without a job id: 202 means it had this job's.
    expect(res.status).toBe(202);
    expect((await json(res)).route).toBe("rpc-ingest");
  });
});
