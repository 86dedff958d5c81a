// The route table: which paths keygate forwards, to which origin, under which scope, cost, size
// and time limits. It lives in wrangler.toml ([[vars.PROXY_ROUTES]]), so adding a route is a
// configuration change (and a test), not code. Validated once per isolate per value.
import { z } from "@hono/zod-openapi";
import { ConfigError, perValue } from "../core/per-value.ts";
import { SCOPES } from "../keys/scopes.ts";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

export const ProxyRouteSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/),
    /** A path prefix under /v1: "/v1/query" also matches "/v1/query/explain". */
    path: z.string().regex(/^\/v1\/[A-Za-z0-9._~\-/]+$/),
    methods: z.array(z.enum(METHODS)).min(1),
    /** The name of a var holding the origin's base URL (e.g. ORIGIN_QUERY_URL)... */
    origin: z.string().regex(/^[A-Z][A-Z0-9_]*$/).optional(),
    /** ...or of a service binding, when the origin is a Worker. */
    service: z.string().regex(/^[A-Z][A-Z0-9_]*$/).optional(),
    scope: z.enum(SCOPES),
    cost: z.number().int().min(1).max(1000).default(1),
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    maxBodyBytes: z.number().int().min(0).max(100 * 1024 * 1024).default(1024 * 1024),
    contentTypes: z.array(z.string()).default(["application/json"]),
    /** When the key's limiter cannot be reached: let the request through instead of 503. */
    failOpen: z.boolean().default(false),
    /** Requests create an ingest job (D1) that the origin reports on. */
    job: z.boolean().default(false),
    description: z.string().optional(),
  })
  .strict()
  .refine((r) => (r.origin === undefined) !== (r.service === undefined), "give exactly one of origin or service");

export type ProxyRoute = z.infer<typeof ProxyRouteSchema>;

const TableSchema = z
  .array(ProxyRouteSchema)
  .refine((rs) => new Set(rs.map((r) => r.name)).size === rs.length, "route names must be unique")
  .refine((rs) => new Set(rs.map((r) => r.path)).size === rs.length, "route paths must be unique");

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
  // Longest prefix first, so matchRoute finds the most specific route.
  return parsed.data.sort((a, b) => b.path.length - a.path.length);
});

/** The configured routes, longest prefix first. A broken table is a deploy error, said loudly. */
export function routeTable(env: { PROXY_ROUTES?: unknown }): ProxyRoute[] {
  return parseTable(env.PROXY_ROUTES);
}

export function matchRoute(routes: ProxyRoute[], path: string): ProxyRoute | null {
  return routes.find((r) => path === r.path || path.startsWith(r.path.endsWith("/") ? r.path : r.path + "/")) ?? null;
}
