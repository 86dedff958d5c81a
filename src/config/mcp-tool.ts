// A route-table route offered to AI agents as an MCP tool (README "MCP"): its name, what it does,
// and the JSON Schema its arguments must meet. A tool call is the route's own request, POSTed with
// the arguments as its JSON body, so only routes that take one can be tools.
import { z } from "@hono/zod-openapi";

/** The resource type that names tools in a key's rules (`resources.mcp_tool`): tool names are its ids. */
export const TOOL_RESOURCE = "mcp_tool";

/**
 * MCP's tool-name characters, not starting or ending with `.` or `-` (the SDK warns about those on
 * every exchange), and a valid `mcp_tool` resource id (keys are limited to tools by name).
 */
export const TOOL_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?$/;

/** The SDK keeps tools in a plain object: these names would find Object's own members there. */
const OBJECT_MEMBERS = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * What would make a schema fail at call time instead of at deploy: a subschema that is not an
 * object or boolean, `required` that is not a list of names, a `$ref` that does not point inside
 * the schema, a `pattern` that is not a regular expression. A schema that fails is a deploy error.
 */
export function schemaProblem(root: Record<string, unknown>): string | null {
  const walk = (node: unknown, at: string): string | null => {
    if (typeof node === "boolean") return null;
    if (typeof node !== "object" || node === null || Array.isArray(node)) return `${at} is not a schema (an object or a boolean)`;
    const s = node as Record<string, unknown>;
    if (s.required !== undefined && !(Array.isArray(s.required) && s.required.every((r) => typeof r === "string"))) return `${at}.required must be a list of names`;
    if (s.pattern !== undefined && !compiles(s.pattern)) return `${at}.pattern is not a regular expression`;
    if (s.$ref !== undefined && (typeof s.$ref !== "string" || resolve(root, s.$ref) === undefined)) return `${at}.$ref must point inside the schema ("#/…")`;
    for (const key of ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]) {
      if (s[key] === undefined) continue;
      if (typeof s[key] !== "object" || s[key] === null || Array.isArray(s[key])) return `${at}.${key} must be an object of schemas`;
      for (const [name, sub] of Object.entries(s[key])) {
        const problem = walk(sub, `${at}.${key}.${name}`);
        if (problem) return problem;
      }
    }
    for (const key of ["items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames"]) {
      if (s[key] === undefined) continue;
      const problem = Array.isArray(s[key]) && key === "items" ? walkAll(s[key], `${at}.items`) : walk(s[key], `${at}.${key}`);
      if (problem) return problem;
    }
    for (const key of ["allOf", "anyOf", "oneOf", "prefixItems"]) {
      if (s[key] === undefined) continue;
      if (!Array.isArray(s[key])) return `${at}.${key} must be a list of schemas`;
      const problem = walkAll(s[key], `${at}.${key}`);
      if (problem) return problem;
    }
    return null;
  };
  const walkAll = (list: unknown[], at: string) => list.reduce<string | null>((found, sub, i) => found ?? walk(sub, `${at}[${i}]`), null);
  return walk(root, "inputSchema");
}

function compiles(pattern: unknown): boolean {
  try {
    return typeof pattern === "string" && new RegExp(pattern, "u") !== null;
  } catch {
    return false;
  }
}

/** A local `$ref` ("#", "#/$defs/a") resolved within the schema, or undefined. */
function resolve(root: unknown, ref: string): unknown {
  if (!ref.startsWith("#")) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(1).split("/").slice(1)) {
    const key = decodeURIComponent(part).replaceAll("~1", "/").replaceAll("~0", "~");
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** A JSON Schema for an object: MCP requires a tool's arguments to be one. */
const InputSchema = z
  .record(z.string(), z.unknown())
  .refine((s) => s.type === "object", 'must be a JSON Schema with type = "object"')
  .refine((s) => JSON.stringify(s).length <= 16_384, "must be at most 16 KiB as JSON")
  .superRefine((s, ctx) => {
    const problem = schemaProblem(s);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export const McpToolSchema = z
  .object({
    name: z
      .string()
      .regex(TOOL_NAME, "must be 1 to 64 of A-Z a-z 0-9 _ . -, not starting or ending with . or -")
      .refine((n) => !OBJECT_MEMBERS.has(n), "is a name JavaScript objects already use"),
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
