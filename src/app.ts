// The gateway, top to bottom. Every request passes these stages in this order; a stage that
// refuses throws a Problem, which onError turns into RFC 9457 problem+json.
import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { registerAuditRoutes } from "./admin/audit.ts";
import { registerKeyLifecycleRoutes } from "./admin/key-lifecycle.ts";
import { registerKeyRoutes } from "./admin/keys.ts";
import { ProblemSchema } from "./admin/schemas.ts";
import { registerSelfRoutes } from "./admin/self.ts";
import { registerTenantRoutes } from "./admin/tenants.ts";
import { registerUsageRoutes } from "./admin/usage.ts";
import { isStoreFailure } from "./db/errors.ts";
import type { AppEnv } from "./http/context.ts";
import { log } from "./http/log.ts";
import { acceptedRequestId, accessLog, authenticate, loggablePath, urlHygiene } from "./http/middleware.ts";
import { Problem, problemResponse, validationFailed, type ProblemKind } from "./http/problem.ts";
import { registerPublicRoutes } from "./http/public.ts";
import { rateLimitFields } from "./limits/admit.ts";
import { corsFromConfig } from "./http/cors.ts";
import { registerJobRoutes } from "./jobs/routes.ts";
import { IngestBody } from "./jobs/schemas.ts";
import { registerProxyRoutes } from "./proxy/dispatch.ts";
import { registerJwksRoute } from "./proxy/jwks.ts";
import { methodNotAllowed } from "./http/routes-index.ts";

type SecureHeadersOptions = NonNullable<Parameters<typeof secureHeaders>[0]>;
const API_SECURITY_HEADERS: SecureHeadersOptions = {
  crossOriginResourcePolicy: "same-origin",
  xFrameOptions: "DENY",
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
};
const DOCUMENT_SECURITY_HEADERS: SecureHeadersOptions = {
  // The page is static HTML with one inline <style>: nothing else may load, frame it or submit.
  contentSecurityPolicy: { defaultSrc: ["'none'"], styleSrc: ["'unsafe-inline'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
  crossOriginOpenerPolicy: true,
  originAgentCluster: true,
  // The rest were set by the API set above.
  crossOriginResourcePolicy: false,
  referrerPolicy: false,
  strictTransportSecurity: false,
  xContentTypeOptions: false,
  xFrameOptions: false,
};

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationFailed(result.error.issues);
    },
  });

  // 1. Identify the request: a valid incoming X-Request-Id is kept, otherwise one is generated.
  //    Hono's own check would keep a key pasted into the header, so keygate's rule decides.
  app.use(requestId({ headerName: "", generator: (c) => acceptedRequestId(c.req.header("x-request-id")) }));
  // 2. Security headers on every response, errors included: the set an API needs (OWASP REST
  //    cheat sheet). Headers that only matter to a page a browser renders are added on /docs alone,
  //    since each is one more header write on every forwarded response.
  app.use(secureHeaders(API_SECURITY_HEADERS));
  app.use("/docs", secureHeaders(DOCUMENT_SECURITY_HEADERS));
  // 3. Metered stores for this request, and one access-log line at the end (path only, no query).
  app.use(accessLog);
  // 4. A key in the URL is refused before anything else reads or logs it; so is a path that an
  //    origin could read differently from keygate (encoded slashes, backslashes, dots).
  app.use(urlHygiene);
  //    CORS for the configured browser origins; preflights are answered here, without a key.
  app.use("/v1/*", corsFromConfig);
  // 5. Authentication: a key in any other header → credential → per-IP failure filter →
  //    format/checksum → memory/KV/D1 → key state → tenant state.
  app.use("/v1/*", authenticate);
  //    Every authenticated response leaves with the RateLimit fields, even one refused below.
  app.use("/v1/*", rateLimitFields);
  // 6. Per route (see defineRoute): the scope check, then admission by the key's limiter (the
  //    isolate's lease, or the key's Durable Object), which also adds the RateLimit fields and
  //    records usage.
  // 7. Handlers: admin, jobs, public.
  registerPublicRoutes(app);
  registerSelfRoutes(app);
  registerTenantRoutes(app);
  registerKeyRoutes(app);
  registerKeyLifecycleRoutes(app);
  registerAuditRoutes(app);
  registerUsageRoutes(app);
  registerJobRoutes(app);
  registerJwksRoute(app);
  // 8. Last: the route table's forwarded routes (scope, admission, signed forwarding to origins).
  registerProxyRoutes(app);
  app.openAPIRegistry.register("IngestRequest", IngestBody);
  app.openAPIRegistry.register("Problem", ProblemSchema);

  app.notFound((c) => {
    const allowed = methodNotAllowed(app.routes, c.req.method, c.req.path);
    const problem = allowed
      ? new Problem("method-not-allowed", { detail: `Use ${allowed.join(", ")}.`, headers: { Allow: allowed.join(", ") } })
      : new Problem("not-found", { detail: "No such route." });
    return problemResponse(problem, c.get("requestId"), loggablePath(c.get("url")));
  });

  app.onError((err, c) => {
    const problem = toProblem(err);
    if (problem.kind === "internal" || problem.kind === "store-unavailable") {
      // The client gets an opaque 500 with the request id; the log gets the cause (scrubbed).
      log("error", "unhandled", { requestId: c.get("requestId"), error: String(err), stack: err instanceof Error ? err.stack : undefined });
    }
    return problemResponse(problem, c.get("requestId"), loggablePath(c.var.url ?? new URL(c.req.url)));
  });

  return app;
}

const HTTP_STATUS_PROBLEMS: Record<number, ProblemKind> = {
  400: "bad-request",
  404: "not-found",
  405: "method-not-allowed",
  413: "payload-too-large",
  415: "unsupported-media-type",
};

function toProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  if (isStoreFailure(err)) {
    return new Problem("store-unavailable", { detail: "The database is temporarily unavailable; nothing was changed. Retry shortly.", headers: { "Retry-After": "5" } });
  }
  if (err instanceof HTTPException) {
    const kind = HTTP_STATUS_PROBLEMS[err.status];
    // Hono's own messages (e.g. "Malformed JSON in request body") are safe to pass on.
    if (kind) return new Problem(kind, { detail: err.message || undefined });
  }
  return new Problem("internal", { detail: "Something went wrong on our side; quote the request id if you report it." });
}
