// The gateway, top to bottom. Every request passes the request stages in this order; every route,
// whether written in code or configured in the route table, then passes the route stages with the
// policy declared with it (scope, cost, body). A stage that refuses throws a Problem, which onError
// turns into RFC 9457 problem+json. A stage that only checks returns next()'s promise instead of
// awaiting it, so it adds no async frame to every request. Nothing else in src/ imports this file.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { auditRoutes } from "./admin/audit.ts";
import { keyLifecycleRoutes } from "./admin/key-lifecycle.ts";
import { keyRoutes } from "./admin/keys.ts";
import { operatorRoutes } from "./admin/operators.ts";
import { selfRoutes } from "./admin/self.ts";
import { tenantRoutes } from "./admin/tenants.ts";
import { usageRoutes } from "./admin/usage.ts";
import { mountConsole } from "./console/index.ts";
import { log, loggablePath } from "./core/log.ts";
import { Problem, problemResponse, validationFailed, type ProblemKind } from "./core/problem.ts";
import { isStoreFailure } from "./db/errors.ts";
import type { AppEnv } from "./http/context.ts";
import { declareRoute, policyOf, type Endpoint } from "./http/route.ts";
import { ProblemSchema } from "./http/schemas.ts";
import { accessLog } from "./http/stages/access-log.ts";
import { admission } from "./http/stages/admission.ts";
import { authenticate } from "./http/stages/authenticate.ts";
import { checkBody } from "./http/stages/body.ts";
import { checkNetwork } from "./http/stages/network.ts";
import { recordOutcome } from "./http/stages/outcome.ts";
import { checkResource } from "./http/stages/resource.ts";
import { chargeUnadmitted } from "./http/stages/charge-unadmitted.ts";
import { consolePerson } from "./http/stages/console-person.ts";
import { cors } from "./http/stages/cors.ts";
import { requestId } from "./http/stages/request-id.ts";
import { requireScope } from "./http/stages/scope.ts";
import { securityHeaders } from "./http/stages/security-headers.ts";
import { urlHygiene } from "./http/stages/url-hygiene.ts";
import { alertRoutes } from "./insight/alert-routes.ts";
import { analyticsRoutes } from "./insight/analytics-routes.ts";
import { metricsRoutes } from "./insight/metrics-route.ts";
import { jobRoutes } from "./jobs/routes.ts";
import { IngestBody } from "./jobs/schemas.ts";
import { mcpRoutes } from "./mcp/endpoint.ts";
import { jwksRoutes } from "./proxy/jwks.ts";
import { methodNotAllowed } from "./routes/method-not-allowed.ts";
import { publicRoutes, registerSecuritySchemes } from "./routes/public.ts";
import { readyRoutes } from "./routes/ready.ts";
import { realtimeRoutes } from "./realtime/tickets.ts";
import { forwardTableRoute, matchTableRoute } from "./routes/table.ts";

type Stage = { name: string; path: string; run: MiddlewareHandler<AppEnv> };

/** Every request, in this order. */
export const REQUEST_STAGES: readonly Stage[] = [
  // A valid incoming X-Request-Id is kept, otherwise one is generated.
  { name: "request-id", path: "*", run: requestId },
  // The headers an API needs on every response, errors included; a page's set on /docs.
  { name: "security-headers", path: "*", run: securityHeaders },
  // Metered stores for this request, and one access-log line at the end (path only, no query).
  { name: "access-log", path: "*", run: accessLog },
  // Each /v1 request's outcome, latency and cost, once answered: into the key's usage, or this
  // isolate's keyless counts. No store write per request.
  { name: "outcome", path: "/v1/*", run: recordOutcome },
  // A key in the URL, or a path an origin could read differently, is refused before anything else.
  { name: "url-hygiene", path: "*", run: urlHygiene },
  // Browsers from the configured origins only; preflights are answered here, without a key.
  { name: "cors", path: "/v1/*", run: cors },
  // A key in any other header → credential → per-IP failure filter → format/checksum →
  // memory/KV/D1 → key state → tenant state. No key: a person (Access token or console session),
  // held to their role, and to changes from this gateway's own pages.
  { name: "authenticate", path: "/v1/*", run: authenticate },
  // The console's pages: the person signed in (Access or session), or nobody (sign-in page).
  { name: "console-person", path: "/console/*", run: consolePerson },
  // The networks the key and its tenant may be used from: 403 before anything is charged.
  { name: "network", path: "/v1/*", run: checkNetwork },
  // A request that never reaches admission below (no route, wrong method, scope) is limited and
  // counted here all the same: one token from the lease, 429 when none is left.
  { name: "charge-unadmitted", path: "/v1/*", run: chargeUnadmitted },
];

/** Then, per route, reading the policy the route declared (c.get("route")). */
export const ROUTE_STAGES: readonly Stage[] = [
  // The route's scope, from the key's cached copy (a refusal is charged one token above).
  { name: "scope", path: "", run: requireScope },
  // The resource the route names in the path, against the key's resources (charged one token, like scope).
  { name: "resource", path: "", run: checkResource },
  // The key's limiter (isolate lease or the key's object): 429/503, RateLimit fields, usage.
  { name: "admission", path: "", run: admission },
  // The media types and size the route takes, before anything reads the body.
  { name: "body", path: "", run: checkBody },
];

const routeStages = ROUTE_STAGES.map((s) => s.run);

/** Mounts a code route behind the route stages, with its declared policy. */
export function mountEndpoint(app: OpenAPIHono<AppEnv>, { route, handler }: Endpoint): void {
  app.openapi({ ...route, middleware: [declareRoute(policyOf(route)), ...routeStages] }, handler as never);
}

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationFailed(result.error.issues);
    },
  });
  for (const stage of REQUEST_STAGES) app.use(stage.path, stage.run);
  registerSecuritySchemes(app);

  // Code routes: public ones (readiness too), the caller, tenants, keys, audit, usage, jobs,
  // analytics, metrics and alerts, operators, WebSocket tickets, MCP (whose tool calls are this
  // app's own requests), the signing keys.
  const endpoints = [
    ...publicRoutes(app),
    ...readyRoutes,
    ...selfRoutes,
    ...tenantRoutes,
    ...keyRoutes,
    ...keyLifecycleRoutes,
    ...auditRoutes,
    ...usageRoutes,
    ...jobRoutes,
    ...analyticsRoutes,
    ...metricsRoutes,
    ...alertRoutes,
    ...operatorRoutes,
    ...realtimeRoutes,
    ...mcpRoutes(app),
    ...jwksRoutes,
  ];
  for (const e of endpoints) mountEndpoint(app, e);
  // The console's pages (/console), which call the routes above in-process.
  mountConsole(app);
  // Last, the route table: its match declares the table route's policy, then the same stages
  // (a WebSocket route's upgrade too: its handler then relays frames, realtime/open.ts).
  app.all("/v1/*", matchTableRoute, ...routeStages, forwardTableRoute);

  app.openAPIRegistry.register("IngestRequest", IngestBody);
  app.openAPIRegistry.register("Problem", ProblemSchema);

  app.notFound((c) => {
    const allowed = methodNotAllowed(app.routes, c.req.method, c.req.path);
    const problem = allowed
      ? new Problem("method-not-allowed", { detail: `Use ${allowed.join(", ")}.`, headers: { Allow: allowed.join(", ") } })
      : new Problem("not-found", { detail: "No such route." });
    // For the stages that read the answer's cause (outcome, access-log), as onError sets it.
    c.error = problem;
    return problemResponse(problem, c.get("requestId"), loggablePath(c.get("url")));
  });

  app.onError((err, c) => {
    const problem = toProblem(err);
    // The answer's cause, as the stages that read it (outcome, access-log) see it: always a Problem.
    c.error = problem;
    if (problem.kind === "internal" || problem.kind === "store-unavailable") {
      // The client gets an opaque 500 with the request id; the log gets the cause (scrubbed).
      log("error", "unhandled", { requestId: c.get("requestId"), error: String(err), stack: err instanceof Error ? err.stack : undefined });
    }
    return problemResponse(problem, c.get("requestId"), loggablePath(c.get("url") ?? new URL(c.req.url)));
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
