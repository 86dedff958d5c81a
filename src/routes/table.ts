// The route table's routes (config/route-table.ts), mounted after every code route on /v1/*: the
// match declares the table route's policy, then the same per-route stages as any code route run,
// then the request is forwarded (or, for job routes, the ingest flow runs).
import type { Context, MiddlewareHandler } from "hono";
import { Problem } from "../core/problem.ts";
import { matchRoute, routeTable, type ProxyRoute } from "../config/route-table.ts";
import type { AppEnv } from "../http/context.ts";
import type { RoutePolicy } from "../http/route.ts";
import { withIdempotency } from "../jobs/idempotency.ts";
import { ingest } from "../jobs/ingest.ts";
import { forwardToOrigin, readBoundedBody } from "../proxy/forward.ts";

const policies = new WeakMap<ProxyRoute, RoutePolicy>();
const matched = new WeakMap<RoutePolicy, ProxyRoute>();

function policyOf(route: ProxyRoute): RoutePolicy {
  let policy = policies.get(route);
  if (!policy) {
    policy = {
      access: route.scope,
      cost: route.cost,
      failOpen: route.failOpen,
      usageName: route.path,
      body: { kind: "forwarded", contentTypes: route.contentTypes, maxBytes: route.maxBodyBytes },
    };
    policies.set(route, policy);
    matched.set(policy, route);
  }
  return policy;
}

/** Finds the table route for the path (or passes on: 404) and declares its policy. */
export const matchTableRoute: MiddlewareHandler<AppEnv> = async (c, next) => {
  // The parsed URL's path, the one forwarded and signed (Hono's c.req.path is percent-decoded).
  const route = matchRoute(routeTable(c.env), c.get("url").pathname);
  if (!route) return c.notFound(); // not ours either: 404 (or 405 for a code route's path)
  const method = c.req.method === "HEAD" ? "GET" : c.req.method;
  if (!(route.methods as string[]).includes(method)) {
    throw new Problem("method-not-allowed", { detail: `Use ${route.methods.join(", ")}.`, headers: { Allow: route.methods.join(", ") } });
  }
  c.set("route", policyOf(route));
  await next();
};

/** The handler: the body read within the route's limit, then forwarded or made a job. */
export async function forwardTableRoute(c: Context<AppEnv>): Promise<Response> {
  const route = matched.get(c.var.route)!;
  const body = await readBoundedBody(c.req.raw, route.maxBodyBytes);
  if (!route.job) return forwardToOrigin(c, route, { body });
  return withIdempotency(c, body, () => ingest(c, route, body));
}
