// Routes that need no key: health, the API description, its docs page and the files that page
// loads. They describe the assembled app, so they sit above every feature.
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context.ts";
import { defineRoute, endpoint, type Endpoint } from "../http/route.ts";
import { assetRoutes } from "./assets.ts";
import { PROBLEM_BASE, PROBLEMS, problemType, type ProblemKind } from "../core/problem.ts";
import { routeTable } from "../config/route-table.ts";
import { addProxyRoutes } from "../proxy/openapi.ts";

export const API_VERSION = "0.1.0";

const health = defineRoute("public", {
  operationId: "health",
  method: "get",
  path: "/health",
  tags: ["Public"],
  summary: "Liveness: the Worker is up (it does not touch D1 or KV)",
  responses: {
    200: {
      description: "Up",
      content: { "application/json": { schema: z.object({ status: z.literal("ok"), version: z.string() }) } },
    },
  },
});

const docs = defineRoute("public", {
  operationId: "docs",
  method: "get",
  path: "/docs",
  tags: ["Public"],
  summary: "API reference (this page, rendered from /openapi.json)",
  responses: { 200: { description: "HTML", content: { "text/html": { schema: z.string() } } } },
});

// The page is a shell: Scalar (copied from node_modules by scripts/vendor-assets.mjs) renders
// /openapi.json in the browser, started by public/assets/docs/docs.js. Both are files from this
// gateway, so the page works offline and under the pages' CSP (no inline script or style).
const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>keygate API reference</title>
<link rel="stylesheet" href="/assets/vendor/scalar/style.css">
</head>
<body>
<noscript><p>The API reference needs JavaScript. The description it renders is <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p></noscript>
<div id="reference"></div>
<script src="/assets/vendor/scalar/standalone.js"></script>
<script src="/assets/docs/docs.js"></script>
</body>
</html>
`;

// Every problem type, in the description itself, so the rendered reference lists them too.
const ERRORS = [
  "## Errors",
  "",
  "Every error is `application/problem+json` (RFC 9457) with one of these types and a `request_id`:",
  "",
  ...Object.entries(PROBLEMS).map(([kind, p]) => `- ${p.status} ${p.title}: \`${problemType(kind as ProblemKind)}\``),
].join("\n");

export function openApiConfig() {
  return {
    openapi: "3.1.0",
    info: {
      title: "keygate",
      version: API_VERSION,
      description: `API-key gateway. Send keys as \`Authorization: Bearer <key>\` or \`X-API-Key: <key>\`, never in the URL or any other header. Errors are RFC 9457 problem details; each operation's required scope is in \`x-keygate-scope\`.\n\n${ERRORS}`,
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    servers: [{ url: "/" }],
    tags: [
      { name: "Public", description: "No key needed." },
      { name: "Auth", description: "The calling key." },
      { name: "Tenants", description: "Platform scope." },
      { name: "Keys", description: "Admin scope, within the caller's tenant (platform: any tenant)." },
      { name: "Audit", description: "Admin scope." },
      { name: "Jobs", description: "Ingest jobs: clients read and cancel them, origins report on them." },
      { name: "Forwarded", description: "Routes from the route table, forwarded to origins with a signed identity." },
      { name: "Usage", description: "Admin scope. Flushed from the keys' limiters; lags traffic by about 15 s." },
      { name: "Analytics", description: "Every request's outcome, latency and cost from the D1 rollups (lag ≤ 20 s). Admin scope: a tenant's own; platform: all." },
      { name: "Metrics", description: "Prometheus text exposition of the rollups. Scope metrics (platform keys hold it)." },
      { name: "Alerts", description: "Alert rules, their history, and Standard Webhooks delivery. Admin scope." },
      { name: "Operators", description: "People who sign in through Cloudflare Access, and their roles. Platform keys and owners." },
    ],
    externalDocs: { description: "Problem types", url: PROBLEM_BASE },
  };
}

const openapiJson = defineRoute("public", {
  operationId: "openapi",
  method: "get",
  path: "/openapi.json",
  // The description does not describe itself.
  hide: true,
  responses: { 200: { description: "OpenAPI 3.1", content: { "application/json": { schema: z.object({}).passthrough() } } } },
});

/** The security schemes every keyed operation names. */
export function registerSecuritySchemes(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "kg_live_… or kg_test_… key",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKeyHeader", { type: "apiKey", in: "header", name: "X-API-Key" });
}

/** Health, the description of `app` as JSON and as a page, and the page's files. */
export function publicRoutes(app: OpenAPIHono<AppEnv>): Endpoint[] {
  return [
    endpoint(health, (c) => c.json({ status: "ok" as const, version: API_VERSION }, 200)),
    endpoint(openapiJson, (c) => c.json(apiDocument(app, c.env) as unknown as Record<string, unknown>, 200)),
    endpoint(docs, (c) => c.html(DOCS_PAGE)),
    ...assetRoutes,
  ];
}

/** Code routes from the registry plus the configured forwarding routes. */
export function apiDocument(app: OpenAPIHono<AppEnv>, env: { PROXY_ROUTES?: unknown }) {
  return addProxyRoutes(app.getOpenAPI31Document(openApiConfig()), routeTable(env));
}
