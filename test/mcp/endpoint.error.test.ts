// What goes wrong at /v1/mcp: the gateway's refusals are problems (401, 403, 405, 413, 415, 422)
// before any MCP is spoken; a tool call's refusals and origin failures are tool errors carrying the
// problem's type (and for 429, when to retry), which a model can read and act on.
import { beforeAll, describe, expect, it } from "vitest";
import { PROBLEM_BASE, problemType } from "../../src/core/problem.ts";
import { expectProblem } from "../support/admin.ts";
import { call, createKey, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { CURRENT, mcpClient, PREVIOUS } from "../support/mcp.ts";

let admin: string;
let key: string;
beforeAll(async () => {
  ({ admin } = await tenantWithAdmin(await platformKey()));
  ({ key } = await createKey(admin, { scopes: ["mcp", "query"] }));
});

const ACCEPT = { accept: "application/json, text/event-stream" };
const list = { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} };

describe("refused before MCP", () => {
  it("no key: 401 with WWW-Authenticate, so a client can tell its user", async () => {
    const res = await call("/v1/mcp", { body: list, headers: ACCEPT });
    await expectProblem(res, 401, "missing-credential");
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="keygate"');
    await expect(mcpClient("kg_test_not_a_key")).rejects.toThrow();
  });

  it("a key without scope mcp: 403 insufficient-scope", async () => {
    const { key: other } = await createKey(admin, { scopes: ["query"] });
    const res = await call("/v1/mcp", { key: other, body: list, headers: ACCEPT });
    const problem = await expectProblem(res, 403, "insufficient-scope");
    expect(problem.detail).toContain("mcp");
  });

  it.each(["GET", "DELETE", "PUT"])("%s: 405, POST only (no sessions, no server-sent stream)", async (method) => {
    const res = await call("/v1/mcp", { key, method });
    await expectProblem(res, 405, "method-not-allowed");
    expect(res.headers.get("allow")).toBe("POST");
  });

  it("a body that is not JSON-RPC: 422; not JSON: 400; another media type: 415", async () => {
    const notRpc = await expectProblem(await call("/v1/mcp", { key, body: { hello: 1 }, headers: ACCEPT }), 422, "validation-failed");
    expect(JSON.stringify(notRpc.errors)).toContain("JSON-RPC");
    await expectProblem(await call("/v1/mcp", { key, body: "{", headers: { ...ACCEPT, "content-type": "application/json" } }), 400, "bad-request");
    await expectProblem(await call("/v1/mcp", { key, body: "x", headers: { ...ACCEPT, "content-type": "text/plain" } }), 415, "unsupported-media-type");
  });

  it("a batch: 422, one message per exchange (MCP dropped batches; one token would pay for many)", async () => {
    const res = await call("/v1/mcp", { key, body: [list, { ...list, id: 2 }], headers: ACCEPT });
    const problem = await expectProblem(res, 422, "validation-failed");
    expect(JSON.stringify(problem.errors)).toContain("batches are not taken");
  });

  it("the SDK's refusals are problems too: not a message (400), no acceptable answer (406)", async () => {
    const notMessage = await expectProblem(await call("/v1/mcp", { key, body: { jsonrpc: "2.0" }, headers: ACCEPT }), 400, "bad-request");
    expect(notMessage.detail).toContain("not a valid JSON-RPC message");
    const noAccept = await expectProblem(await call("/v1/mcp", { key, body: list }), 406, "not-acceptable");
    expect(noAccept.detail).toContain("text/event-stream");
  });

  it("a current-revision request for a revision keygate does not serve gets the JSON-RPC error clients negotiate from", async () => {
    const version = "2099-01-01";
    const body = { jsonrpc: "2.0", id: 7, method: "tools/list", params: { _meta: { "io.modelcontextprotocol/protocolVersion": version, "io.modelcontextprotocol/clientCapabilities": {} } } };
    const res = await call("/v1/mcp", { key, body, headers: { ...ACCEPT, "mcp-protocol-version": version, "mcp-method": "tools/list" } });
    expect(res.status).toBe(400);
    const answer = await res.json<any>();
    expect(answer).toMatchObject({ jsonrpc: "2.0", id: 7, error: { code: expect.any(Number) } });
    expect(JSON.stringify(answer.error.data)).toContain("2026-07-28");
  });

  it("an exchange over 1 MiB: 413", async () => {
    const big = { ...list, params: { pad: "x".repeat(1024 * 1024) } };
    await expectProblem(await call("/v1/mcp", { key, body: big, headers: ACCEPT }), 413, "payload-too-large");
  });
});

describe.each([CURRENT, PREVIOUS] as const)("tool calls (%s)", (era) => {
  it("an unknown tool is a protocol error naming it", async () => {
    const client = await mcpClient(key, era);
    await expect(client.callTool({ name: "nope", arguments: {} })).rejects.toThrow("Tool nope not found");
  });

  it("arguments that do not meet the schema: a tool error saying why, and the origin never called", async () => {
    const client = await mcpClient(key, era);
    const result = await client.callTool({ name: "echo", arguments: { text: 7, extra: true } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain("Input validation error");
  });

  it.each([
    ["down", 502, "origin-unreachable"],
    ["slow", 504, "origin-timeout"],
  ])("%s: the gateway's %i becomes a tool error with its problem type", async (name, status, kind) => {
    const result = await (await mcpClient(key, era)).callTool({ name, arguments: {} });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ status, type: PROBLEM_BASE + kind });
  });

  it("arguments over the tool route's own body limit: a tool error with 413", async () => {
    const result = await (await mcpClient(key, era)).callTool({ name: "small", arguments: { pad: "x".repeat(100) } });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ status: 413, type: PROBLEM_BASE + "payload-too-large" });
  });
});

describe("origin answers", () => {
  it("an origin's own error status is a tool error carrying its body", async () => {
    const result = await (await mcpClient(key)).callTool({ name: "teapot", arguments: {} });
    expect(result.isError).toBe(true);
    const error = result.structuredContent as { status: number; type: string; origin: { verified: boolean } };
    expect(error).toMatchObject({ status: 418, type: "origin-error" });
    expect(error.origin.verified).toBe(true);
    expect(JSON.stringify(result.content)).toContain("The origin answered 418");
  });

  it("an origin's own problem+json is the origin's error, not taken for a gateway refusal", async () => {
    const result = await (await mcpClient(key)).callTool({ name: "problem", arguments: {} });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toEqual({
      status: 409,
      type: "origin-error",
      title: "The origin answered 409",
      origin: { type: "https://origin.example/out-of-stock", title: "Out of stock", status: 409, sku: "a-1" },
    });
  });
});

describe("limits", () => {
  it("a call its route's cost cannot be admitted for: a tool error with 429 and when to retry", async () => {
    // 8 tokens, next to none refilled. Connecting spends 1 (server/discover); the first call 1 for
    // its exchange and 5 for the costly route; the second's exchange the last one.
    const limited = await createKey(admin, { scopes: ["mcp", "query"], rateLimit: { capacity: 8, refillPerSecond: 0.01 } });
    const client = await mcpClient(limited.key, CURRENT);
    const first = await client.callTool({ name: "costly", arguments: {} });
    expect(first.isError, JSON.stringify(first)).toBeFalsy();
    const second = await client.callTool({ name: "costly", arguments: {} });
    expect(second.isError).toBe(true);
    const error = second.structuredContent as { status: number; type: string; retryAfterSeconds: number };
    expect(error).toMatchObject({ status: 429, type: problemType("quota-exceeded") });
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    expect(JSON.stringify(second.content)).toMatch(/Retry after \d+ s/);
  });

  it("an exchange the key cannot afford is refused like any request: 429 problem", async () => {
    const limited = await createKey(admin, { scopes: ["mcp", "query"], rateLimit: { capacity: 1, refillPerSecond: 0.01 } });
    expect((await call("/v1/mcp", { key: limited.key, body: list, headers: ACCEPT })).status).toBe(200);
    const res = await call("/v1/mcp", { key: limited.key, body: list, headers: ACCEPT });
    expect(res.status).toBe(429);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
