// MCP at /v1/mcp with the official client SDK, both revisions keygate serves: the key's tools are
// listed and called; a call is its route's own request (signed, verified by the origin, counted
// under the route with the tool's name).
import { beforeAll, describe, expect, it, vi } from "vitest";
import { waitFor } from "../support/admin.ts";
import { flushAnalytics } from "../support/analytics-flush.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { env } from "cloudflare:test";
import { CURRENT, mcpClient, PREVIOUS, toolJson } from "../support/mcp.ts";

let admin: string;
beforeAll(async () => {
  ({ admin } = await tenantWithAdmin(await platformKey()));
});

const QUERY_TOOLS = ["costly", "down", "echo", "problem", "query", "slow", "small", "teapot"];

describe.each([CURRENT, PREVIOUS] as const)("revision %s", (era) => {
  it("initializes, lists the key's tools with their schemas, and calls one", async () => {
    const { key, id } = await createKey(admin, { scopes: ["mcp", "query"] });
    const client = await mcpClient(key, era);
    expect(client.getServerVersion()?.name).toBe("keygate");
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(QUERY_TOOLS);
    const echo = tools.find((t) => t.name === "echo")!;
    expect(echo).toMatchObject({ title: "Echo", description: "Echo the arguments with what the origin verified.", annotations: { readOnlyHint: true } });
    expect(echo.inputSchema).toMatchObject({ type: "object", required: ["text"], additionalProperties: false });

    const result = await client.callTool({ name: "echo", arguments: { text: "hi", times: 2 } });
    expect(result.isError).toBeFalsy();
    const seen = toolJson(result);
    expect(result.structuredContent).toEqual(seen);
    // An ordinary signed POST of the arguments, verified by the origin with its usual helper.
    expect(seen).toMatchObject({ verified: true, method: "POST", path: "/v1/tools/echo", query: "" });
    expect(JSON.parse(seen.body)).toEqual({ text: "hi", times: 2 });
    expect(seen.identity).toMatchObject({ keyId: id });
    expect(seen.headers["x-keygate-resource"]).toBe("mcp_tool=echo");
    expect(seen.headers["content-type"]).toBe("application/json");
  });
});

describe("tools", () => {
  it("two keys with different scopes see different tools", async () => {
    const reader = await mcpClient((await createKey(admin, { scopes: ["mcp", "query"] })).key);
    const writer = await mcpClient((await createKey(admin, { scopes: ["mcp", "jobs:write"] })).key);
    const bare = await mcpClient((await createKey(admin, { scopes: ["mcp"] })).key);
    expect((await reader.listTools()).tools.map((t) => t.name).sort()).toEqual(QUERY_TOOLS);
    expect((await writer.listTools()).tools.map((t) => t.name)).toEqual(["ingest"]);
    expect((await bare.listTools()).tools).toEqual([]);
  });

  it("a key's mcp_tool resources narrow its tools to those named (a prefix with *)", async () => {
    const { key } = await createKey(admin, { scopes: ["mcp", "query"], resources: { mcp_tool: ["echo", "q*"] } });
    expect((await (await mcpClient(key)).listTools()).tools.map((t) => t.name).sort()).toEqual(["echo", "query"]);
  });

  it("the query tool reaches wrangler.toml's query origin, which verifies the signature itself", async () => {
    const { key, id, tenantId } = await createKey(admin, { scopes: ["mcp", "query"], environment: "test" });
    const result = await (await mcpClient(key)).callTool({ name: "query", arguments: { sql: "select 1", limit: 5 } });
    expect(result.isError).toBeFalsy();
    const seen = toolJson(result);
    expect(seen.verified).toBe(true);
    expect(seen.identity).toMatchObject({ keyId: id, tenantId, environment: "test" });
    expect(JSON.parse(seen.body)).toEqual({ sql: "select 1", limit: 5 });
  });

  it("the ingest tool makes a job, as POST /v1/ingest does", async () => {
    const { key, id } = await createKey(admin, { scopes: ["mcp", "jobs:write", "jobs:read"] });
    const result = await (await mcpClient(key, PREVIOUS)).callTool({ name: "ingest", arguments: { source: "feed-7", payload: { rows: 3 } } });
    expect(result.isError).toBeFalsy();
    const job = result.structuredContent as { id: string; status: string; keyId: string; source: string };
    expect(job).toMatchObject({ keyId: id, source: "feed-7", route: "ingest" });
    const res = await call(`/v1/jobs/${job.id}`, { key });
    expect(res.status).toBe(200);
    expect((await json(res)).id).toBe(job.id);
  });

  it("each call counts under its route with the tool's name, beside the exchange itself", async () => {
    const k = await createKey(admin, { scopes: ["mcp", "query"] });
    const client = await mcpClient(k.key);
    await client.listTools();
    await client.callTool({ name: "echo", arguments: { text: "a" } });
    await client.callTool({ name: "costly", arguments: {} });
    await flushAnalytics([k]);
    const { results } = await env.DB.prepare(
      "SELECT route, outcome, sum(requests) AS requests, sum(cost) AS cost FROM analytics_minute WHERE key_id = ? GROUP BY route, outcome ORDER BY route",
    )
      .bind(k.id)
      .all<{ route: string; outcome: string; requests: number; cost: number }>();
    expect(results).toEqual([
      { route: "MCP:costly /v1/tools/costly", outcome: "valid", requests: 1, cost: 5 },
      { route: "MCP:echo /v1/tools/echo", outcome: "valid", requests: 1, cost: 1 },
      // The current revision needs no initialize: server/discover, tools/list and two tools/call.
      { route: "POST /v1/mcp", outcome: "valid", requests: 4, cost: 4 },
    ]);
  });

  it("a warm key's exchange, and the tool call it makes, touch no D1 or KV", async () => {
    const { key } = await createKey(admin, { scopes: ["mcp", "query"] });
    const client = await mcpClient(key);
    await client.callTool({ name: "echo", arguments: { text: "warm" } });
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    try {
      const res = await call("/v1/mcp", {
        key,
        body: { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { text: "counted" } } },
        headers: { accept: "application/json, text/event-stream" },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("server-timing")).toMatch(/d1-read;desc="0", d1-write;desc="0", kv-read;desc="0", kv-write;desc="0"/);
      // The tool call's own request has its own access-log line (written once its background work is done).
      const toolLine = await waitFor(async () => lines.map((l) => JSON.parse(l)).find((l) => l.event === "request" && l.tool === "echo"), "the tool call's log line");
      expect(toolLine).toMatchObject({ path: "/v1/tools/echo", status: 200, requestId: res.headers.get("x-request-id") });
      expect(toolLine.stores).toMatchObject({ d1Reads: 0, d1Writes: 0, kvReads: 0, kvWrites: 0 });
      expect(lines.join("\n")).not.toContain(key);
    } finally {
      spy.mockRestore();
    }
  });
});
