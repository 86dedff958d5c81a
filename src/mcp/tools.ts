// Which tools a key sees: the route table's MCP tools whose route scope the key holds and whose
// name its `mcp_tool` rules allow. Listing and calling read the same list, built per request, so a
// tool a key may not use is never listed and calling it is the same "not found" as a tool that
// does not exist (Kong once listed tools its ACL then refused).
import { fromJsonSchema, type JsonSchemaType, type StandardSchemaWithJSON } from "@modelcontextprotocol/server";
import { log } from "../core/log.ts";
import { TOOL_RESOURCE, type McpTool } from "../config/mcp-tool.ts";
import type { ProxyRoute } from "../config/route-table.ts";
import { resourceAllowed } from "../keys/access-rules.ts";
import { grants } from "../keys/scopes.ts";
import type { KeySnapshot } from "../keys/snapshot.ts";
import { currentRules } from "../limits/leases.ts";

export type ToolRoute = ProxyRoute & { mcp: McpTool };

/** A route the app answers in code (Hono's `app.routes`): code routes come before the table. */
export type CodeRoute = { method: string; path: string };

const servable = new WeakMap<readonly ProxyRoute[], ToolRoute[]>();

/**
 * The table's tools, minus any whose path a code route answers first (a tool at /v1/keys would
 * call the keys API, not its origin): a configuration mistake the table alone cannot see, logged
 * once per isolate and never listed.
 */
export function servableTools(routes: readonly ProxyRoute[], codeRoutes: readonly CodeRoute[]): ToolRoute[] {
  let tools = servable.get(routes);
  if (!tools) {
    const answered = codeRoutes
      .filter((r) => (r.method === "POST" || r.method === "ALL") && r.path.startsWith("/v1/") && !r.path.endsWith("*"))
      .map((r) => new RegExp(`^${r.path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\/:[^/]+/g, "/[^/]+")}$`));
    tools = routes.filter((r): r is ToolRoute => {
      if (!r.mcp) return false;
      if (!answered.some((re) => re.test(r.path))) return true;
      log("error", "mcp.tool_shadowed", { route: r.name, tool: r.mcp.name, path: r.path, why: "a code route answers POST on this path" });
      return false;
    });
    servable.set(routes, tools);
  }
  return tools;
}

/** The tools this key may use right now, from this isolate's freshest copy of its rules. */
export function visibleTools(tools: readonly ToolRoute[], key: KeySnapshot): ToolRoute[] {
  const { resources } = currentRules(key);
  return tools.filter((r) => grants(key.scopes, r.scope) && resourceAllowed(resources, { type: TOOL_RESOURCE, id: r.mcp.name }));
}

const schemas = new WeakMap<ToolRoute, StandardSchemaWithJSON>();

/** The tool's argument schema as the SDK validates and lists it, compiled once per route table. */
export function argumentSchema(route: ToolRoute): StandardSchemaWithJSON {
  let schema = schemas.get(route);
  if (!schema) {
    schema = fromJsonSchema(route.mcp.inputSchema as JsonSchemaType);
    schemas.set(route, schema);
  }
  return schema;
}
