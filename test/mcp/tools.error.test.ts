// A tool whose path a code route answers would call that code route, not its origin: the table
// alone cannot see it, so the MCP layer leaves such a tool out (and logs it) rather than list it.
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { routeTable } from "../../src/config/route-table.ts";
import { servableTools } from "../../src/mcp/tools.ts";

const tool = (name: string, path: string) => ({ name, path, methods: ["POST"], origin: "ORIGIN_Q_URL", scope: "query", mcp: { name, description: "d", inputSchema: { type: "object" } } });

describe("tools a code route shadows", () => {
  // /v1/keys/key_x is PATCHed by code, but a POST there reaches the table: that tool is served.
  it("are never served, whatever the path's shape in the app's routes", () => {
    const table = routeTable({
      PROXY_ROUTES: [tool("keys", "/v1/keys"), tool("revoke", "/v1/keys/key_x/revoke"), tool("patchable", "/v1/keys/key_x"), tool("tickets", "/v1/realtime/tickets"), tool("fine", "/v1/tools/fine"), tool("under", "/v1/keysmith")],
    });
    expect(servableTools(table, createApp().routes).map((t) => t.mcp.name).sort()).toEqual(["fine", "patchable", "under"]);
  });
});
