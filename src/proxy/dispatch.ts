// Routes from the route table (src/proxy/config.ts), after every code route: scope, admission,
// then forwarding (or, for job routes, the ingest flow). The same stages as any other route.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { requestBody, requireAccess } from "../http/access.ts";
import type { AppEnv } from "../http/context.ts";
import { Problem } from "../http/problem.ts";
import { withIdempotency } from "../jobs/idempotency.ts";
import { ingest } from "../jobs/ingest.ts";
import { admit } from "../limits/admit.ts";
import { matchRoute, proxyRoutes, type ProxyRoute } from "./config.ts";
import { forwardToOrigin, readBoundedBody } from "./forward.ts";

export function registerProxyRoutes(app: OpenAPIHono<AppEnv>): void {
  app.all("/v1/*", async (c, next) => {
    // The parsed URL's path, the one forwarded and signed (Hono's c.req.path is percent-decoded).
    const route = matchRoute(proxyRoutes(c.env), c.get("url").pathname);
    if (!route) return next(); // not ours either: 404
    const method = c.req.method === "HEAD" ? "GET" : c.req.method;
    if (!(route.methods as string[]).includes(method)) {
      throw new Problem("method-not-allowed", { detail: `Use ${route.methods.join(", ")}.`, headers: { Allow: route.methods.join(", ") } });
    }
    c.set("usageRoute", route.path);
    await requireAccess(route.scope)(c, async () => {
      await admit(route.scope, { cost: route.cost, failOpen: route.failOpen })(c, async () => {
        c.res = await handle(c, route);
      });
    });
    return c.res;
  });
}

async function handle(c: Context<AppEnv>, route: ProxyRoute): Promise<Response> {
  checkContentType(c, route);
  const body = await readBoundedBody(c.req.raw, route.maxBodyBytes);
  if (!route.job) return forwardToOrigin(c, route, { body });
  return withIdempotency(c, body, () => ingest(c, route, body));
}

function checkContentType(c: Context<AppEnv>, route: ProxyRoute): void {
  const body = requestBody(c.req.raw.headers);
  if (body.present && !route.contentTypes.includes(body.type)) {
    throw new Problem("unsupported-media-type", { detail: `This route accepts ${route.contentTypes.join(", ")}.` });
  }
}
