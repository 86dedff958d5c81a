// The route table: which paths keygate forwards, to which origin, under which scope, cost, size
// and time limits. It lives in wrangler.toml ([[vars.PROXY_ROUTES]]), so adding a route is a
// configuration change (and a test), not code. Validated and compiled once per isolate per value.
import { z } from "@hono/zod-openapi";
import { ConfigError, perValue } from "../core/per-value.ts";
import { RESOURCE_TYPE } from "../keys/access-rules.ts";
import { SCOPES } from "../keys/scopes.ts";
import { McpToolSchema, TOOL_RESOURCE, toolRouteProblem } from "./mcp-tool.ts";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** A `:name` segment stands for exactly one non-empty path segment. */
const PARAM_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;
/**
 * Keys are restricted to MCP tools by `resources.mcp_tool` (tool names are its ids); a path
 * segment must never be able to stand in for a tool's name.
 */
const RESERVED_RESOURCE_TYPES = new Set([TOOL_RESOURCE]);
/**
 * Not methods an origin writes for keygate: the binding's own HTTP and socket entries, the
 * handlers and members of a WorkerEntrypoint, `then` (a stub would be taken for a promise), and
 * anything Object.prototype has (toString, valueOf, …), which a stub answers itself.
 */
const RPC_RESERVED = new Set(["fetch", "connect", "then", "env", "ctx", "dup", "tail", "trace", "scheduled", "queue", "email", "test"]);

export const ProxyRouteSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/),
    /**
     * A path under /v1, matched by whole segments and then as a prefix: "/v1/query" also matches
     * "/v1/query/explain". A `:name` segment matches any one non-empty segment.
     */
    path: z.string().regex(/^\/v1\/[A-Za-z0-9._~\-/:]+$/, "must be a path under /v1/ of A-Z a-z 0-9 . _ ~ - / and :name segments"),
    methods: z.array(z.enum(METHODS)).min(1),
    /** The name of a var holding the origin's base URL (e.g. ORIGIN_QUERY_URL)... */
    origin: z.string().regex(/^[A-Z][A-Z0-9_]*$/).optional(),
    /** ...or of a service binding, when the origin is a Worker. */
    service: z.string().regex(/^[A-Z][A-Z0-9_]*$/).optional(),
    /**
     * With `service`: call this method of the binding's entrypoint with the request and its caller
     * (origin/rpc.ts), instead of a signed HTTP request. The body streams; nothing is signed.
     */
    rpc: z.string().regex(/^[a-z][A-Za-z0-9_]{0,63}$/, "must be a method name: a lowercase letter, then up to 63 of A-Z a-z 0-9 _").optional(),
    scope: z.enum(SCOPES),
    cost: z.number().int().min(1).max(1000).default(1),
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    maxBodyBytes: z.number().int().min(0).max(100 * 1024 * 1024).default(1024 * 1024),
    contentTypes: z.array(z.string()).default(["application/json"]),
    /** When the key's limiter cannot be reached: let the request through instead of 503. */
    failOpen: z.boolean().default(false),
    /** Requests create an ingest job (D1) that the origin reports on. */
    job: z.boolean().default(false),
    /** The resource a request touches: its type, and the path parameter holding its id. */
    resource: z
      .object({
        type: z.string().regex(RESOURCE_TYPE, "must be 1-32 of a-z 0-9 _, starting with a letter"),
        param: z.string(),
      })
      .strict()
      .optional(),
    /** A WebSocket route: the upgrade is proxied to the origin and frames pass both ways (README "Realtime"). */
    websocket: z.boolean().default(false),
    /** Tokens each client message spends on a WebSocket route (the upgrade spends `cost`). */
    messageCost: z.number().int().min(1).max(1000).default(1),
    /** The largest message a client may send on a WebSocket route: a bigger one closes it with 1009. */
    maxMessageBytes: z.number().int().min(1).max(32 * 1024 * 1024).default(1024 * 1024),
    description: z.string().optional(),
    /** Offered to AI agents as an MCP tool at /v1/mcp (README "MCP"). */
    mcp: McpToolSchema.optional(),
  })
  .strict()
  .refine((r) => (r.origin === undefined) !== (r.service === undefined), "give exactly one of origin or service")
  .refine((r) => r.rpc === undefined || r.service !== undefined, "rpc needs service: the binding whose entrypoint has the method")
  .refine((r) => r.rpc === undefined || !r.websocket, "a websocket route is relayed over HTTP: no rpc")
  .refine((r) => r.rpc === undefined || !(RPC_RESERVED.has(r.rpc) || r.rpc in Object.prototype), "rpc names a method of your entrypoint; fetch, connect, then, the WorkerEntrypoint members and Object's are not")
  .refine((r) => !r.websocket || (r.methods.length === 1 && r.methods[0] === "GET" && !r.job), 'a websocket route takes methods = ["GET"] and no job')
  .superRefine((r, ctx) => {
    const problem = pathProblem(r);
    if (problem) ctx.addIssue({ code: "custom", path: [problem.at], message: `route "${r.name}": ${problem.message}` });
    const toolProblem = r.mcp && toolRouteProblem(r);
    if (toolProblem) ctx.addIssue({ code: "custom", path: ["mcp"], message: `route "${r.name}": ${toolProblem}` });
  });

export type ProxyRoute = z.infer<typeof ProxyRouteSchema>;

/** What is wrong with a route's path segments or its resource, if anything. */
function pathProblem(r: { path: string; resource?: { type: string; param: string } | undefined }): { at: string; message: string } | null {
  const segments = r.path.split("/").slice(2);
  const params: string[] = [];
  for (const [i, segment] of segments.entries()) {
    if (!segment.includes(":")) continue;
    const name = segment.slice(1);
    if (!segment.startsWith(":") || !PARAM_NAME.test(name)) {
      return { at: "path", message: `${JSON.stringify(segment)} is not a :name segment (a letter, then up to 31 of A-Z a-z 0-9 _)` };
    }
    // /v1/:x would take every /v1 path no code route claims, wrong methods on admin paths included.
    if (i === 0) return { at: "path", message: "the first segment after /v1 must be literal" };
    if (params.includes(name)) return { at: "path", message: `parameter :${name} appears twice` };
    params.push(name);
  }
  if (r.resource && !params.includes(r.resource.param)) {
    return { at: "resource", message: `resource.param ${JSON.stringify(r.resource.param)} is not a :name segment of ${r.path}` };
  }
  if (r.resource && RESERVED_RESOURCE_TYPES.has(r.resource.type)) {
    return { at: "resource", message: `resource type ${r.resource.type} is reserved (keys name MCP tools with it)` };
  }
  return null;
}

/** What a request's path is matched against: the route's path with parameter names left out. */
function shapeOf(path: string): string {
  return path.replace(/\/:[^/]*/g, "/:");
}

const TableSchema = z
  .array(ProxyRouteSchema)
  .refine((rs) => new Set(rs.map((r) => r.name)).size === rs.length, "route names must be unique")
  .refine((rs) => {
    const tools = rs.flatMap((r) => (r.mcp ? [r.mcp.name] : []));
    return new Set(tools).size === tools.length;
  }, "MCP tool names must be unique")
  .superRefine((rs, ctx) => {
    const seen = new Map<string, ProxyRoute>();
    for (const r of rs) {
      const first = seen.get(shapeOf(r.path));
      if (first) {
        const same = first.path === r.path ? r.path : `${first.path} and ${r.path} differ only in parameter names`;
        ctx.addIssue({ code: "custom", message: `route paths must be unique: "${first.name}" and "${r.name}" (${same})` });
        return;
      }
      seen.set(shapeOf(r.path), r);
    }
  })
  .superRefine((rs, ctx) => {
    const problem = uncheckedResource(rs);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/**
 * A route that takes some of a resource route's paths (more specific: longer, or a literal where
 * it has a parameter) must check the same resource at the same segment, or a request would reach
 * the origin without the check the operator declared (e.g. /v1/agents/:agentId/runs beside
 * /v1/agents/:agentId, or /v1/agents/special).
 */
function uncheckedResource(routes: readonly ProxyRoute[]): string | null {
  const segs = (r: ProxyRoute) => r.path.replace(/\/$/, "").split("/");
  for (const owner of routes) {
    if (!owner.resource) continue;
    const own = segs(owner);
    const at = own.indexOf(`:${owner.resource.param}`);
    for (const other of routes) {
      if (other === owner) continue;
      const theirs = segs(other);
      if (theirs.length < own.length || theirs.length === own.length && theirs.every((s, i) => s.startsWith(":") === own[i]!.startsWith(":"))) continue;
      if (!own.every((s, i) => s.startsWith(":") || theirs[i] === s)) continue;
      const same = other.resource?.type === owner.resource.type && theirs[at] === `:${other.resource.param}`;
      if (!same) return `route "${other.name}" takes paths of "${owner.name}" without checking its resource: declare resource = { type = "${owner.resource.type}", param = … } on the same segment`;
    }
  }
  return null;
}

/** A route ready to match: its segments, literal or not, and where its parameters are. */
type Compiled = {
  route: ProxyRoute;
  /** path.split("/"): the literal text, or null where a parameter stands. */
  segments: (string | null)[];
  /** For a route without parameters: the prefix test, as cheap as a string comparison. */
  prefix: string | null;
  /** A path ending in "/" wants one more segment, of any content (as its prefix test did). */
  open: boolean;
  params: { name: string; at: number }[];
};

function compile(route: ProxyRoute): Compiled {
  const open = route.path.endsWith("/");
  const parts = (open ? route.path.slice(0, -1) : route.path).split("/");
  const params: Compiled["params"] = [];
  const segments = parts.map((s, at) => {
    if (!s.startsWith(":")) return s;
    params.push({ name: s.slice(1), at });
    return null;
  });
  return { route, segments, prefix: params.length === 0 ? route.path : null, open, params };
}

/** Most specific first: more segments, then, segment by segment, a literal before a parameter. */
function bySpecificity(a: Compiled, b: Compiled): number {
  const length = (c: Compiled) => c.segments.length + (c.open ? 1 : 0);
  if (length(a) !== length(b)) return length(b) - length(a);
  for (let i = 0; i < a.segments.length; i++) {
    const rank = (c: Compiled) => (i < c.segments.length ? (c.segments[i] === null ? 1 : 0) : 2);
    if (rank(a) !== rank(b)) return rank(a) - rank(b);
  }
  return Number(a.open) - Number(b.open);
}

const compiledTables = new WeakMap<readonly ProxyRoute[], Compiled[]>();

function compiledOf(routes: readonly ProxyRoute[]): Compiled[] {
  let compiled = compiledTables.get(routes);
  if (!compiled) {
    compiled = routes.map(compile).sort(bySpecificity);
    compiledTables.set(routes, compiled);
  }
  return compiled;
}

const parseTable = perValue((source: unknown): ProxyRoute[] => {
  let raw: unknown = source ?? [];
  if (typeof raw === "string") {
    try {
      raw = JSON.parse(raw);
    } catch {
      throw new ConfigError("PROXY_ROUTES", "not valid JSON");
    }
  }
  const parsed = TableSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    const where = first.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
    throw new ConfigError(`PROXY_ROUTES${where}`, first.message);
  }
  // The table in matching order, compiled now so that no request pays for it.
  const compiled = compiledOf(parsed.data);
  const routes = compiled.map((c) => c.route);
  compiledTables.set(routes, compiled);
  return routes;
});

/** The configured routes, most specific first. A broken table is a deploy error, said loudly. */
export function routeTable(env: { PROXY_ROUTES?: unknown }): ProxyRoute[] {
  return parseTable(env.PROXY_ROUTES);
}

/** A matched route and its parameters' segments, as sent (still percent-encoded). */
export type RouteMatch = { route: ProxyRoute; params: Readonly<Record<string, string>> };

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/** The most specific route whose segments match the path's first ones; `path` is a URL's pathname. */
export function matchRoute(routes: readonly ProxyRoute[], path: string): RouteMatch | null {
  let parts: string[] | undefined;
  next: for (const c of compiledOf(routes)) {
    if (c.prefix !== null) {
      if (path === c.prefix || path.startsWith(c.open ? c.prefix : c.prefix + "/")) return { route: c.route, params: NO_PARAMS };
      continue;
    }
    parts ??= path.split("/");
    if (parts.length < c.segments.length + (c.open ? 1 : 0)) continue;
    for (let i = 0; i < c.segments.length; i++) {
      const want = c.segments[i];
      if (want === null ? parts[i] === "" : parts[i] !== want) continue next;
    }
    const params: Record<string, string> = {};
    for (const { name, at } of c.params) params[name] = parts[at]!;
    return { route: c.route, params };
  }
  return null;
}
