// Which tools a key sees: the route table's MCP tools whose route scope the key holds and whose
// name its `mcp_tool` rules allow. Listing and calling read the same list, built per request, so a
// tool a key may not use is never listed and calling it is the same "not found" as a tool that
// does not exist (Kong once listed tools its ACL then refused).
import { fromJsonSchema, type JsonSchemaType, type StandardSchemaWithJSON } from "@modelcontextprotocol/server";
import type { McpTool } from "../config/mcp-tool.ts";
import type { ProxyRoute } from "../config/route-table.ts";
import { resourceAllowed } from "../keys/access-rules.ts";
import { grants } from "../keys/scopes.ts";
import type { KeySnapshot } from "../keys/snapshot.ts";
import { currentRules } from "../limits/leases.ts";

export type ToolRoute = ProxyRoute & { mcp: McpTool };

/** The resource type that names tools in a key's rules. */
export const TOOL_RESOURCE = "mcp_tool";

/** The tools this key may use right now, from this isolate's freshest copy of its rules. */
export function visibleTools(routes: readonly ProxyRoute[], key: KeySnapshot): ToolRoute[] {
  const { resources } = currentRules(key);
  return routes.filter(
    (r): r is ToolRoute => r.mcp !== undefined && grants(key.scopes, r.scope) && resourceAllowed(resources, { type: TOOL_RESOURCE, id: r.mcp.name }),
  );
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
