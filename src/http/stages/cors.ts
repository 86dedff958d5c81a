// Stage: browsers may call the API only from origins listed in CORS_ORIGINS. Never "*": requests
// carry an API key. A preflight is answered here, before authentication, as browsers send it
// without one.
import type { MiddlewareHandler } from "hono";
import { cors as honoCors } from "hono/cors";
import { perValue } from "../../core/per-value.ts";
import { corsOrigins } from "../../config/settings.ts";
import type { AppEnv } from "../context.ts";

const handlerFor = perValue((list: string): MiddlewareHandler => {
  const allowed = corsOrigins(list);
  return honoCors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
    // MCP's own headers too, so a browser-based MCP client can reach /v1/mcp.
    allowHeaders: ["Authorization", "X-API-Key", "Content-Type", "Idempotency-Key", "X-Request-Id", "MCP-Protocol-Version", "Mcp-Method", "Mcp-Name", "Mcp-Session-Id", "Last-Event-ID"],
    exposeHeaders: ["RateLimit", "RateLimit-Policy", "Retry-After", "X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Idempotent-Replayed", "X-Keygate-Job-Id", "WWW-Authenticate", "MCP-Protocol-Version", "Mcp-Session-Id"],
    maxAge: 600,
  });
});

export const cors: MiddlewareHandler<AppEnv> = async (c, next) => {
  const list = c.env.CORS_ORIGINS ?? "";
  // Not a browser (no Origin header), which is most API traffic: there is nothing to allow, and
  // Hono's cors() would write its headers onto a placeholder response that the real one then has
  // to be merged with. Caches still learn that the answer depends on Origin.
  if (!c.req.raw.headers.has("origin")) {
    if (list === "") return next();
    await next();
    c.res.headers.append("Vary", "Origin");
    return;
  }
  return handlerFor(list)(c, next);
};
