// A route-table route that names a resource (`/v1/agents/:agentId`, resource agent from agentId):
// the request reaches the real origin with the resource in its signed identity, the origin's own
// verifier (origin/verify.ts in the Node echo origin, keygate_verify.py in the Python one) accepts
// it, and usage counts the route by its pattern, never by the ids in it.
import { beforeAll, describe, expect, it } from "vitest";
import { flushAnalytics, totalsBy } from "../support/analytics-flush.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let client: { key: string; id: string; tenantId: string };
beforeAll(async () => {
  const { admin } = await tenantWithAdmin(await platformKey());
  client = await createKey(admin, { scopes: ["query"], environment: "test" });
});

describe("a route that names a resource", () => {
  it("GET /v1/agents/a_1 reaches the echo origin with X-Keygate-Resource: agent=a_1, signed, and the signature verifies", async () => {
    const res = await call("/v1/agents/a_1?view=full", { key: client.key });
    expect(res.status).toBe(200);
    const seen = await json(res);
    expect(seen.verified, seen.reason).toBe(true);
    expect(seen.path).toBe("/v1/agents/a_1");
    expect(seen.query).toBe("?view=full");
    expect(seen.headers["x-keygate-resource"]).toBe("agent=a_1");
    expect(seen.identity).toMatchObject({ keyId: client.id, tenantId: client.tenantId, resource: { type: "agent", id: "a_1" } });
    const input: string = seen.headers["signature-input"];
    expect(input).toMatch(/^kg=\("@method" "@authority" "@path" "@query" "x-keygate-key-id" "x-keygate-tenant-id" "x-keygate-scopes" "x-keygate-environment" "x-request-id" "x-keygate-resource"\);created=/);
  });

  it("with a body and below the id: the resource is the :agentId segment, the digest and the resource both signed", async () => {
    const res = await call("/v1/agents/vs_42/runs", { key: client.key, body: { input: "hello" } });
    expect(res.status).toBe(200);
    const seen = await json(res);
    expect(seen.verified, seen.reason).toBe(true);
    expect(seen.path).toBe("/v1/agents/vs_42/runs");
    expect(JSON.parse(seen.body)).toEqual({ input: "hello" });
    expect(seen.identity.resource).toEqual({ type: "agent", id: "vs_42" });
    expect(seen.headers["signature-input"]).toContain('"content-digest" "x-keygate-key-id"');
    expect(seen.headers["signature-input"]).toContain('"x-request-id" "x-keygate-resource")');
  });

  it("a percent-encoded id is the resource decoded, while the origin gets (and the signature covers) the path as sent", async () => {
    const res = await call("/v1/agents/team%40a.b~c", { key: client.key });
    expect(res.status).toBe(200);
    const seen = await json(res);
    expect(seen.verified, seen.reason).toBe(true);
    expect(seen.path).toBe("/v1/agents/team%40a.b~c");
    expect(seen.headers["x-keygate-resource"]).toBe("agent=team@a.b~c");
    expect(seen.identity.resource).toEqual({ type: "agent", id: "team@a.b~c" });
  });

  it("the Python example origin verifies a forwarded request carrying the resource (whatever Signature-Input lists)", async () => {
    const res = await call("/v1/agents-python/a_7", { key: client.key });
    expect(res.status).toBe(200);
    const seen = await json(res);
    expect(seen.verified, seen.reason).toBe(true);
    expect(seen.identity).toMatchObject({ keyId: client.id, resource: { type: "agent", id: "a_7" } });
  });

  it("a request on a route without a resource is unchanged: no X-Keygate-Resource, the same components as before", async () => {
    const res = await call("/v1/echo/x", { key: client.key });
    const seen = await json(res);
    expect(seen.verified).toBe(true);
    expect(seen.headers["x-keygate-resource"]).toBeUndefined();
    expect(seen.identity.resource).toBeUndefined();
    expect(seen.headers["signature-input"]).toMatch(/^kg=\("@method" "@authority" "@path" "@query" "x-keygate-key-id" "x-keygate-tenant-id" "x-keygate-scopes" "x-keygate-environment" "x-request-id"\);/);
  });

  it("takes only the methods configured: 405 with Allow", async () => {
    const res = await call("/v1/agents/a_1", { key: client.key, method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, POST");
  });

  it("usage and analytics name the route by its pattern, whatever the ids", async () => {
    const { admin } = await tenantWithAdmin(await platformKey());
    const counted = await createKey(admin, { scopes: ["query"] });
    for (const id of ["a_1", "a_2", "b_3"]) expect((await call(`/v1/agents/${id}`, { key: counted.key })).status).toBe(200);
    await flushAnalytics([{ id: counted.id, tenantId: counted.tenantId }]);
    expect(await totalsBy("analytics_day", "route", "key_id = ?", counted.id)).toEqual({ "GET /v1/agents/:agentId": 3 });
  });

  it("appears in /openapi.json as /v1/agents/{agentId}, with the path parameter and its pattern", async () => {
    const doc = await json(await call("/openapi.json"));
    expect(doc.paths["/v1/agents/:agentId"]).toBeUndefined();
    const op = doc.paths["/v1/agents/{agentId}"].get;
    expect(op["x-keygate-scope"]).toBe("query");
    expect(op.parameters).toEqual([expect.objectContaining({ name: "agentId", in: "path", required: true, schema: expect.objectContaining({ type: "string", maxLength: 128 }) })]);
    expect(op.parameters[0].description).toContain("X-Keygate-Resource: agent=<id>");
    expect(doc.paths["/v1/agents/{agentId}"].post.operationId).toBe("agentsPost");
  });
});
