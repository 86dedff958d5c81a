// A route-table route offered to AI agents as an MCP tool (README "MCP"): its name, what it does,
// and the JSON Schema its arguments must meet. A tool call is the route's own request, POSTed with
// the arguments as its JSON body, so only routes that take one can be tools.
import { z } from "@hono/zod-openapi";

/** MCP's tool-name characters, and a valid `mcp_tool` resource id (keys are limited to tools by name). */
export const TOOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** A JSON Schema for an object: MCP requires a tool's arguments to be one. */
const InputSchema = z
  .record(z.string(), z.unknown())
  .refine((s) => s.type === "object", 'must be a JSON Schema with type = "object"')
  .refine((s) => JSON.stringify(s).length <= 16_384, "must be at most 16 KiB as JSON");

export const McpToolSchema = z
  .object({
    name: z.string().regex(TOOL_NAME, "must be 1 to 64 of A-Z a-z 0-9 _ . -"),
    /** A human-readable name for clients' tool pickers. */
    title: z.string().min(1).max(100).optional(),
    /** What the tool does, for the model choosing it: say when to use it and what it returns. */
    description: z.string().min(1).max(2000),
    inputSchema: InputSchema,
    /** The tool only reads (MCP's readOnlyHint): clients may call it without asking the user. */
    readOnly: z.boolean().default(false),
  })
  .strict();

export type McpTool = z.infer<typeof McpToolSchema>;

/** Why a route cannot be a tool, or null when it can. */
export function toolRouteProblem(r: { path: string; methods: readonly string[]; websocket: boolean; contentTypes: readonly string[] }): string | null {
  if (r.websocket) return "a websocket route cannot be a tool";
  if (!r.methods.includes("POST")) return 'a tool is called with POST: add "POST" to methods';
  if (r.path.includes(":")) return "a tool's path cannot have :name segments (its arguments go in the body)";
  if (!r.contentTypes.includes("application/json")) return 'a tool sends its arguments as JSON: contentTypes must include "application/json"';
  if (r.path === "/v1/mcp" || r.path.startsWith("/v1/mcp/")) return "/v1/mcp is the MCP endpoint itself";
  return null;
}
