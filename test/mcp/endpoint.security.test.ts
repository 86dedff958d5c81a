// Who can do what through /v1/mcp: a tool the key may not use is never listed and cannot be called
// (the same error as a tool that does not exist); rule changes and revocation apply at the next
// exchange; the origin gets no credential and nothing of the MCP exchange; a browser from another
// site is refused; a person's sign-in is not a key.
import { beforeAll, describe, expect, it } from "vitest";
import { foreignCaller } from "../../src/mcp/endpoint.ts";
import { expectProblem, patch } from "../support/admin.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { CURRENT, mcpClient, PREVIOUS, toolJson } from "../support/mcp.ts";
import { csrfOf, signIn } from "../support/people.ts";

let platform: string;
let admin: string;
beforeAll(async () => {
  platform = await platformKey();
  ({ admin } = await tenantWithAdmin(platform));
});

const ACCEPT = { accept: "application/json, text/event-stream" };
const list = { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} };

/** The protocol error a call gets, with the tool's name taken out. */
async function refusal(call: Promise<unknown>, name: string): Promise<string> {
  try {
    await call;
  } catch (err) {
    return String(err).replaceAll(name, "<tool>");
  }
  throw new Error(`${name} was called`);
}

describe.each([CURRENT, PREVIOUS] as const)("hidden tools (%s)", (era) => {
  it("a tool outside the key's scopes is not listed, and calling it is exactly an unknown tool's error", async () => {
    const { key } = await createKey(admin, { scopes: ["mcp", "jobs:write"] });
    const client = await mcpClient(key, era);
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain("echo");
    const hidden = await refusal(client.callTool({ name: "echo", arguments: { text: "x" } }), "echo");
    const missing = await refusal(client.callTool({ name: "no-such-tool", arguments: { text: "x" } }), "no-such-tool");
    expect(hidden).toBe(missing);
  });

  it("a tool its mcp_tool resources leave out is hidden the same way, though the route itself stays open to HTTP", async () => {
    const { key } = await createKey(admin, { scopes: ["mcp", "query"], resources: { mcp_tool: ["query"] } });
    const client = await mcpClient(key, era);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["query"]);
    const hidden = await refusal(client.callTool({ name: "echo", arguments: { text: "x" } }), "echo");
    expect(hidden).toBe(await refusal(client.callTool({ name: "no-such-tool", arguments: {} }), "no-such-tool"));
    // mcp_tool limits the tools; the route's scope still governs the route.
    expect((await call("/v1/tools/echo", { key, body: { text: "x" } })).status).toBe(200);
  });
});

describe("changes apply at the next exchange", () => {
  it("narrowing a key's tools hides them at once", async () => {
    const k = await createKey(admin, { scopes: ["mcp", "query"] });
    const client = await mcpClient(k.key);
    expect((await client.callTool({ name: "echo", arguments: { text: "1" } })).isError).toBeFalsy();
    expect((await patch(`/v1/keys/${k.id}`, admin, { resources: { mcp_tool: [] } })).status).toBe(200);
    expect((await client.listTools()).tools).toEqual([]);
    await expect(client.callTool({ name: "echo", arguments: { text: "2" } })).rejects.toThrow("Tool echo not found");
  });

  it("a revoked key's next exchange is 401, tool calls included", async () => {
    const k = await createKey(admin, { scopes: ["mcp", "query"] });
    const client = await mcpClient(k.key);
    expect((await client.callTool({ name: "echo", arguments: { text: "1" } })).isError).toBeFalsy();
    expect((await call(`/v1/keys/${k.id}/revoke`, { key: admin, body: { reason: "mcp test" } })).status).toBe(200);
    await expect(client.callTool({ name: "echo", arguments: { text: "2" } })).rejects.toThrow();
    await expectProblem(await call("/v1/mcp", { key: k.key, body: list, headers: ACCEPT }), 401, "revoked-key");
  });
});

describe("what the origin gets", () => {
  it("an ordinary signed request: no credential, no MCP headers, the arguments as the body", async () => {
    const { key } = await createKey(admin, { scopes: ["mcp", "query"] });
    const client = await mcpClient(key, CURRENT, { "x-keygate-resource": "mcp_tool=forged", "x-forwarded-for": "6.6.6.6" });
    const result = await client.callTool({ name: "echo", arguments: { text: "hello" } });
    const seen = toolJson(result);
    expect(seen.verified).toBe(true);
    const names = Object.keys(seen.headers);
    expect(names).not.toContain("authorization");
    expect(names).not.toContain("x-api-key");
    expect(names.filter((n) => n.startsWith("mcp-"))).toEqual([]);
    expect(names).not.toContain("x-forwarded-for");
    expect(seen.headers["x-keygate-resource"]).toBe("mcp_tool=echo");
    expect(seen.body).toBe('{"text":"hello"}');
    expect(JSON.stringify(result)).not.toContain(key);
  });

  it("a client cannot make a direct request look like a tool call", async () => {
    const { key } = await createKey(admin, { scopes: ["query"] });
    const res = await call("/v1/tools/echo", { key, body: { text: "x" }, headers: { "x-keygate-resource": "mcp_tool=echo" } });
    const seen = await json(res);
    expect(seen.verified).toBe(true);
    expect(seen.headers["x-keygate-resource"]).toBeUndefined();
  });
});

describe("callers", () => {
  it("a browser from another site is refused (403); this gateway's origin and CORS_ORIGINS are not", async () => {
    const { key } = await createKey(admin, { scopes: ["mcp"] });
    const from = (origin: string) => call("/v1/mcp", { key, body: list, headers: { ...ACCEPT, origin } });
    await expectProblem(await from("https://evil.example"), 403, "origin-not-allowed");
    await expectProblem(await from("null"), 403, "origin-not-allowed");
    expect((await from("https://gw.test")).status).toBe(200);
    expect((await from("https://app.example.com")).status).toBe(200);
  });

  it("npm run dev answers MCP on loopback hosts only (DNS rebinding), production on the hosts routed to it", () => {
    const own = new URL("http://127.0.0.1:8787/v1/mcp");
    const dev = { ENVIRONMENT: "development" };
    expect(foreignCaller(new Headers({ host: "127.0.0.1:8787" }), own, dev)).toBeNull();
    expect(foreignCaller(new Headers({ host: "localhost:8787" }), own, dev)).toBeNull();
    expect(foreignCaller(new Headers({ host: "rebound.evil.example:8787" }), own, dev)?.kind).toBe("host-not-allowed");
    expect(foreignCaller(new Headers({ host: "api.example.com" }), new URL("https://api.example.com/v1/mcp"), { ENVIRONMENT: "production" })).toBeNull();
  });

  it("a console session is a person, not a key: 401 api-key-required", async () => {
    // An admin key that also holds mcp: the session it opens still takes no tools.
    const { key } = await createKey(admin, { scopes: ["admin", "mcp", "query"] });
    const { cookie } = await signIn(key);
    const headers = { ...ACCEPT, cookie: cookie!, "sec-fetch-site": "same-origin", "x-csrf-token": await csrfOf(cookie!) };
    await expectProblem(await call("/v1/mcp", { body: list, headers }), 401, "api-key-required");
  });

  it("the key never appears in what an agent reads back from a refusal", async () => {
    const { key } = await createKey(admin, { scopes: ["mcp", "query"], rateLimit: { capacity: 2, refillPerSecond: 0.01 } });
    const client = await mcpClient(key);
    const result = await client.callTool({ name: "costly", arguments: {} });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result)).not.toContain(key);
  });
});
