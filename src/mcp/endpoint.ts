// POST /v1/mcp: the Model Context Protocol's Streamable HTTP endpoint. An exchange is a request
// like any other (the key, its networks, scope `mcp`, one token); its tools are the route table's
// `mcp` routes the key may use (tools.ts), and a tool call is that route's own request
// (call-tool.ts).
import { z } from "@hono/zod-openapi";
import { localhostAllowedHostnames, validateHostHeader } from "@modelcontextprotocol/server";
import { Problem, type ProblemKind } from "../core/problem.ts";
import { routeTable } from "../config/route-table.ts";
import { corsOrigins } from "../config/settings.ts";
import type { AppEnv } from "../http/context.ts";
import { defineRoute, endpoint, jsonContent, type Endpoint } from "../http/route.ts";
import type { Dispatch } from "../http/in-process.ts";
import { serveMcp } from "./server.ts";
import { servableTools, visibleTools, type CodeRoute } from "./tools.ts";

/** Tool arguments travel inside the exchange; the tool's route then applies its own limit. */
export const MCP_BODY_LIMIT_BYTES = 1024 * 1024;

// One message per exchange: MCP dropped JSON-RPC batches in 2025-06-18, and a batch would let one
// exchange's token pay for a hundred.
const JsonRpc = z
  .object({ jsonrpc: z.literal("2.0", { error: 'a JSON-RPC 2.0 message has "jsonrpc": "2.0"' }) }, { error: 'one JSON-RPC 2.0 message, {"jsonrpc": "2.0", …} (batches are not taken)' })
  .passthrough()
  .openapi("JsonRpcMessage", { description: "One JSON-RPC 2.0 message of the MCP protocol (initialize, tools/list, tools/call, …); batches are not taken." });

const route = defineRoute(
  "mcp",
  {
    operationId: "mcp",
    method: "post",
    path: "/v1/mcp",
    tags: ["MCP"],
    summary: "MCP (Streamable HTTP): the routes this key may use, as tools",
    description:
      "The Model Context Protocol, revision 2026-07-28 and the 2025 revisions (served statelessly: no sessions, GET and DELETE answer 405). `tools/list` shows the route table's tools whose route scope the key holds and whose name its `mcp_tool` resources allow; `tools/call` makes that route's request, limited, counted and signed like one sent directly. Each exchange spends one token; a tool call also spends its route's cost.",
    request: { body: { required: true, ...jsonContent(JsonRpc) } },
    responses: {
      200: { description: "The JSON-RPC response", ...jsonContent(z.object({ jsonrpc: z.literal("2.0") }).passthrough()) },
      202: { description: "A notification or response, accepted" },
      403: { description: "Insufficient scope, or a browser from an origin that may not call the API" },
      400: { description: "Not an MCP message keygate serves (problem+json); a current-revision request's protocol error (version negotiation) is a JSON-RPC error" },
      406: { description: "Accept must include application/json (and text/event-stream for the 2025 revisions)" },
      413: { description: `The exchange is over ${MCP_BODY_LIMIT_BYTES} bytes` },
    },
  },
  { maxBodyBytes: MCP_BODY_LIMIT_BYTES },
);

/**
 * MCP asks servers to check Origin and Host against DNS rebinding. A browser may call from this
 * gateway's own origin or one in CORS_ORIGINS. On Cloudflare a request reaches the Worker only
 * through a hostname routed to it; `npm run dev` answers on loopback names only.
 */
export function foreignCaller(headers: Headers, own: URL, env: { CORS_ORIGINS?: string; ENVIRONMENT?: string }): Problem | null {
  const origin = headers.get("origin");
  if (origin !== null && origin !== own.origin && !corsOrigins(env.CORS_ORIGINS ?? "").has(origin)) {
    return new Problem("origin-not-allowed", { detail: "Browsers may call /v1/mcp only from this gateway's origin or one listed in CORS_ORIGINS." });
  }
  if (env.ENVIRONMENT === "development" && !validateHostHeader(headers.get("host"), localhostAllowedHostnames()).ok) {
    return new Problem("host-not-allowed", { detail: "In development the MCP endpoint answers on localhost, 127.0.0.1 and [::1] only." });
  }
  return null;
}

/** A JSON-RPC request (a method and an id), which its answer names. */
const isRequest = (m: Record<string, unknown>) => typeof m.method === "string" && (typeof m.id === "string" || typeof m.id === "number");

const REFUSAL_KINDS: Record<number, ProblemKind> = { 406: "not-acceptable", 413: "payload-too-large", 415: "unsupported-media-type" };

/** The SDK's HTTP refusal (a JSON-RPC error body) as a problem, its message as the detail. */
async function sdkRefusal(response: Response): Promise<Problem> {
  let message = `The MCP request was refused (${response.status}).`;
  try {
    const body = (await response.json()) as { error?: { message?: unknown } };
    if (typeof body.error?.message === "string") message = body.error.message;
  } catch {
    // Not JSON: the status says enough.
  }
  if (response.status >= 500) return new Problem("internal", { detail: "Something went wrong on our side; quote the request id if you report it.", cause: message });
  return new Problem(REFUSAL_KINDS[response.status] ?? "bad-request", { detail: message, cause: `mcp ${response.status}` });
}

/** What MCP needs of the assembled app: its fetch handler (tool calls), and its code routes (a tool's path must not be one). */
export type McpApp = Dispatch & { routes: readonly CodeRoute[] };

export function mcpRoutes(app: McpApp): Endpoint[] {
  return [
    endpoint(route, async (c) => {
      if (c.get("principal").operator || c.get("session")) {
        throw new Problem("api-key-required", { detail: "MCP takes an API key (Authorization: Bearer <key>); a person's sign-in reaches the admin API only." });
      }
      const foreign = foreignCaller(c.req.raw.headers, c.get("url"), c.env);
      if (foreign) throw foreign;
      const tools = visibleTools(servableTools(routeTable(c.env), app.routes), c.get("principal").key);
      const message = c.req.valid("json");
      const { response, current } = await serveMcp(app, c, tools, message);
      if (response.status < 400) return response;
      // A current-revision request's 400 is a JSON-RPC error answering its id, which its client
      // reads (it negotiates the protocol version from it): kept, and counted as the client's
      // mistake. Every other refusal of the SDK's is a problem like the gateway's own.
      if (current && response.status === 400 && isRequest(message)) {
        c.error = new Problem("bad-request", { detail: "MCP protocol error", cause: "mcp 400" });
        return response;
      }
      throw await sdkRefusal(response);
    }),
  ];
}
