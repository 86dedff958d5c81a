// Worker origins over RPC, when something goes wrong: the origin is slow, throws, lacks the method
// or the binding, or answers with something that is not a Response; the client sends too much or
// the wrong media type. Each is a problem+json answer, never the origin's error text.
import { beforeAll, describe, expect, it } from "vitest";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { streamOf } from "../support/streams.ts";

let client: { key: string };
beforeAll(async () => {
  const { admin } = await tenantWithAdmin(await platformKey());
  client = await createKey(admin, { scopes: ["query"] });
});

async function expectProblem(res: Response, status: number, type: string): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const body = await json(res);
  expect(body.type).toMatch(new RegExp(`/${type}$`));
  return body;
}

describe("a Worker origin over RPC that fails", () => {
  it("too slow for the route's timeout: 504", async () => {
    const started = Date.now();
    await expectProblem(await call("/v1/rpc-timeout/slow", { key: client.key }), 504, "origin-timeout");
    expect(Date.now() - started).toBeLessThan(900);
  });

  it("throws: 502, and the client never sees the origin's error", async () => {
    const body = await expectProblem(await call("/v1/rpc/throw", { key: client.key }), 502, "origin-unreachable");
    expect(JSON.stringify(body)).not.toContain("on purpose");
  });

  it("answers with something that is not a Response: 502", async () => {
    await expectProblem(await call("/v1/rpc/not-a-response", { key: client.key }), 502, "origin-unreachable");
  });

  it("has no method of the route's name: 502", async () => {
    await expectProblem(await call("/v1/rpc-missing", { key: client.key }), 502, "origin-unreachable");
  });

  it("has no binding: 502, the route is not configured", async () => {
    const body = await expectProblem(await call("/v1/rpc-unbound", { key: client.key }), 502, "origin-unreachable");
    expect(body.detail).toMatch(/not configured/);
  });
});

describe("a request the RPC route does not take", () => {
  it("a declared length over the limit: 413 before the origin is called", async () => {
    await expectProblem(await call("/v1/rpc", { key: client.key, body: "x".repeat(2000), headers: { "content-type": "text/plain", "content-length": "2000" } }), 413, "payload-too-large");
  });

  it("a streamed body that grows past the limit: 413", async () => {
    await expectProblem(await call("/v1/rpc", { key: client.key, method: "PUT", body: streamOf("x".repeat(800), "y".repeat(800)), headers: { "content-type": "text/plain" } }), 413, "payload-too-large");
  });

  it("a media type the route does not take: 415", async () => {
    await expectProblem(await call("/v1/rpc", { key: client.key, body: "a,b", headers: { "content-type": "text/csv" } }), 415, "unsupported-media-type");
  });
});
