// One MCP server per exchange, built for the caller: only the tools its key may use are registered,
// so `tools/list` and `tools/call` can never disagree. Both protocol eras are served statelessly and
// at once: the current revision through the SDK's per-request handler (one per isolate; each
// exchange hands it its own server), the 2025 revisions through its Streamable HTTP transport
// without sessions and in JSON (GET and DELETE are 405). No tool sends anything before its result,
// so the current revision answers in JSON too.
import { createMcpHandler, isLegacyRequest, McpServer, WebStandardStreamableHTTPServerTransport, type McpRequestContext } from "@modelcontextprotocol/server";
import type { Context } from "hono";
import { log } from "../core/log.ts";
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

type Build = () => McpServer;

// The SDK passes authInfo through untouched: it carries this exchange's server to the factory.
const modern = createMcpHandler(({ authInfo }: McpRequestContext) => (authInfo!.extra!.build as Build)(), {
  legacy: "reject",
  onerror: (err) => log("warn", "mcp.refused", { error: String(err) }),
});

/** The exchange's answer, and whether it was served as the current revision. */
export type Served = { response: Response; current: boolean };

/** Answers one MCP exchange (its JSON body already parsed) with the caller's tools. */
export async function serveMcp(app: Dispatch, c: Context<AppEnv>, tools: readonly ToolRoute[], body: unknown): Promise<Served> {
  const build: Build = () => serverFor(app, c, tools);
  if (await isLegacyRequest(c.req.raw, body)) {
    const server = build();
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    try {
      return { response: await transport.handleRequest(c.req.raw, { parsedBody: body }), current: false };
    } finally {
      await server.close();
    }
  }
  const { keyId, scopes } = c.get("principal").key;
  const response = await modern.fetch(c.req.raw, { parsedBody: body, authInfo: { token: "", clientId: keyId, scopes: [...scopes], extra: { build } } });
  return { response, current: true };
}
