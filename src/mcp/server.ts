// One MCP server per exchange, built for the caller: only the tools its key may use are registered,
// so `tools/list` and `tools/call` can never disagree. Both protocol eras are served statelessly and
// as plain JSON (no SSE): the current revision through the SDK's per-request handler, the 2025
// revisions through its Streamable HTTP transport without sessions (GET and DELETE are 405). No
// tool sends anything before its result, so the current revision answers in JSON too.
import { createMcpHandler, isLegacyRequest, McpServer, WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/server";
import type { Context } from "hono";
import type { AppEnv } from "../http/context.ts";
import type { Dispatch } from "../http/in-process.ts";
import { callTool } from "./call-tool.ts";
import { argumentSchema, type ToolRoute } from "./tools.ts";

const SERVER_INFO = { name: "keygate", title: "keygate", version: "1.0.0" };
const INSTRUCTIONS =
  "Each tool is an API route this key may call. A call is limited and counted like a request to that route; a tool error with status 429 says how many seconds to wait before retrying.";

function serverFor(app: Dispatch, c: Context<AppEnv>, tools: readonly ToolRoute[]): McpServer {
  const server = new McpServer(SERVER_INFO, { capabilities: { tools: { listChanged: false } }, instructions: INSTRUCTIONS });
  for (const route of tools) {
    const { name, title, description, readOnly } = route.mcp;
    server.registerTool(
      name,
      { ...(title ? { title } : {}), description, inputSchema: argumentSchema(route), annotations: { readOnlyHint: readOnly, openWorldHint: true } },
      (args) => callTool(app, c, route, args),
    );
  }
  return server;
}

/** Answers one MCP exchange (its JSON body already parsed) with the caller's tools. */
export async function serveMcp(app: Dispatch, c: Context<AppEnv>, tools: readonly ToolRoute[], body: unknown): Promise<Response> {
  const factory = () => serverFor(app, c, tools);
  if (await isLegacyRequest(c.req.raw, body)) {
    const server = factory();
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    try {
      return await transport.handleRequest(c.req.raw, { parsedBody: body });
    } finally {
      await server.close();
    }
  }
  return createMcpHandler(factory, { legacy: "reject" }).fetch(c.req.raw, { parsedBody: body });
}
