// The route table's routes (config/route-table.ts), mounted after every code route on /v1/*: the
// match declares the table route's policy (and the resource the path names), then the same
// per-route stages as any code route run, then the request is forwarded (or, for job routes, the
// ingest flow runs).
import type { Context, MiddlewareHandler } from "hono";
import { decodeLeniently } from "../core/percent.ts";
import { Problem } from "../core/problem.ts";
import { TOOL_RESOURCE } from "../config/mcp-tool.ts";
import { matchRoute, routeTable, type ProxyRoute } from "../config/route-table.ts";
import { RESOURCE_ID } from "../keys/access-rules.ts";
import type { AppEnv } from "../http/context.ts";
import { toolCallOf } from "../http/in-process.ts";
import type { RoutePolicy } from "../http/route.ts";
import { withIdempotency } from "../jobs/idempotency.ts";
import { ingest } from "../jobs/ingest.ts";
import { boundedBodyStream, readBoundedBody } from "../proxy/body-limit.ts";
import { forwardToOrigin } from "../proxy/forward.ts";
import { callWorkerOrigin } from "../proxy/rpc.ts";
import { openRealtime } from "../realtime/open.ts";

const policies = new WeakMap<ProxyRoute, RoutePolicy>();
const matched = new WeakMap<RoutePolicy, ProxyRoute>();

function policyOf(route: ProxyRoute): RoutePolicy {
  let policy = policies.get(route);
  if (!policy) {
    policy = {
      access: route.scope,
      cost: route.cost,
      failOpen: route.failOpen,
      // The pattern, never the ids in it: usage and analytics keep one row per route.
      usageName: route.path,
      ...(route.resource ? { resource: route.resource } : {}),
      body: { kind: "forwarded", contentTypes: route.contentTypes, maxBytes: route.maxBodyBytes },
    };
    policies.set(route, policy);
    matched.set(policy, route);
  }
  return policy;
}

/** Finds the table route for the path (or passes on: 404), declares its policy and the resource it names. */
export const matchTableRoute: MiddlewareHandler<AppEnv> = (c, next) => {
  // The parsed URL's path, the one forwarded and signed (Hono's c.req.path is percent-decoded).
  const match = matchRoute(routeTable(c.env), c.get("url").pathname);
  if (!match) return Promise.resolve(c.notFound()); // not ours either: 404 (or 405 for a code route's path)
  const { route } = match;
  const method = c.req.method === "HEAD" ? "GET" : c.req.method;
  if (!(route.methods as string[]).includes(method)) {
    throw new Problem("method-not-allowed", { detail: `Use ${route.methods.join(", ")}.`, headers: { Allow: route.methods.join(", ") } });
  }
  c.set("route", policyOf(route));
  if (route.resource) {
    // url-hygiene already refused encoded separators, dots and `%25`: one round decodes it all.
    const id = decodeLeniently(match.params[route.resource.param]!);
    // Set only when it is an id. One that is not is refused by the handler, after the scope check
    // (as a code route's malformed {id} is), and no stage ever sees it as a resource.
    if (RESOURCE_ID.test(id)) c.set("resource", { type: route.resource.type, id });
  } else if (route.mcp && toolCallOf(c.req.raw) === route.mcp.name) {
    // A tool call touches its tool: the key's `mcp_tool` rules are checked again at admission, by
    // the lease or the key's object, and the origin learns, signed, which tool called it. Usage
    // and the access log name the tool (c.get("tool")).
    c.set("tool", route.mcp.name);
    c.set("resource", { type: TOOL_RESOURCE, id: route.mcp.name });
  }
  return next();
};

/** The handler: a WebSocket relayed, a Worker origin called over RPC, or the body read within the route's limit, then forwarded or made a job. */
export async function forwardTableRoute(c: Context<AppEnv>): Promise<Response> {
  const route = matched.get(c.get("route"))!;
  if (route.resource && !c.get("resource")) {
    throw new Problem("bad-request", {
      detail: `The path does not name a valid ${route.resource.type} id: 1 to 128 of A-Z a-z 0-9 . _ : ~ @ - (percent-encoded or not).`,
    });
  }
  if (route.websocket) return openRealtime(c, route);
  if (route.rpc && !route.job) {
    // Nothing to digest or sign: the body streams to the Worker origin, held to the route's limit.
    const { body, exceeded } = boundedBodyStream(c.req.raw, route.maxBodyBytes);
    return callWorkerOrigin(c, route, { body }, exceeded);
  }
  const body = await readBoundedBody(c.req.raw, route.maxBodyBytes);
  if (!route.job) return forwardToOrigin(c, route, { body });
  return withIdempotency(c, body, () => ingest(c, route, body));
}
