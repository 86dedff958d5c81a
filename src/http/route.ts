// How a feature declares a route: its OpenAPI description and its policy (who may call it, what it
// costs, what body it takes). Features only declare; src/app.ts mounts every route behind the same
// stages, which read the policy from the context (c.get("route")).
import { createRoute, type RouteConfig, type RouteHandler } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { RouteAccess } from "../keys/scopes.ts";
import type { AppEnv } from "./context.ts";

/** Admin and job bodies are small JSON documents. */
export const ADMIN_BODY_LIMIT_BYTES = 64 * 1024;

export type BodyPolicy =
  | { kind: "none" }
  /** A code route's JSON body, validated by zod after the stages. */
  | { kind: "json"; required: boolean; maxBytes: number }
  /** A route-table route's body, forwarded as sent: only these media types, read up to maxBytes. */
  | { kind: "forwarded"; contentTypes: string[]; maxBytes: number };

/** What the per-route stages need to know about a route, declared with it. */
export type RoutePolicy = {
  /** "public" (no key), "authenticated" (any valid key) or the scope the key must hold. */
  access: RouteAccess;
  /** Tokens one request spends. */
  cost: number;
  /** When the key's limiter cannot be reached: let the request through instead of 503. */
  failOpen: boolean;
  /** The route as usage reports name it ("/v1/keys/:id", or a table route's path). */
  usageName: string;
  /** The path parameter naming the resource a request touches (route-table routes that declare one). */
  resource?: { type: string; param: string };
  body: BodyPolicy;
};

/** A code route's limits beyond its scope: tokens per request, failing open, and (JSON bodies) the largest body. */
export type Admission = { cost?: number; failOpen?: boolean; maxBodyBytes?: number };

/** `{ content: { "application/json": { schema } } }`, the shape every JSON request/response takes. */
export const jsonContent = <T>(schema: T) => ({ content: { "application/json": { schema } } });

/** A response documented as the shared problem+json body. */
export const problemContent = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
});

// Any route, public ones included, refuses a key in its URL with 400.
const publicProblems = { 400: problemContent("Bad request, e.g. an API key in the URL") } as const;
const problemResponses = {
  ...publicProblems,
  400: problemContent("Bad request, e.g. an API key in the URL or in a header other than Authorization / X-API-Key"),
  401: problemContent("Missing or invalid API key"),
  403: problemContent("Insufficient scope or inactive tenant"),
  429: problemContent("Rate limit or monthly quota exceeded (RateLimit and Retry-After headers say when to retry)"),
  503: problemContent("The key's limiter could not be reached (temporary-reduced-capacity)"),
} as const;

/** Error responses a route lists by description only get the shared problem+json body. */
function withProblemBodies(responses: RouteConfig["responses"]): RouteConfig["responses"] {
  return Object.fromEntries(
    Object.entries(responses).map(([code, r]) =>
      Number(code) >= 400 && !("$ref" in r) && !r.content ? [code, problemContent(r.description ?? "Error")] : [code, r],
    ),
  );
}

export const KEY_SECURITY: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKeyHeader: [] }];

const policies = new WeakMap<object, RoutePolicy>();

/** createRoute plus the route's policy and the error responses every route shares. */
export function defineRoute<R extends RouteConfig & { operationId: string }>(access: RouteAccess, config: R, admission: Admission = {}) {
  const route = createRoute({
    ...config,
    security: access === "public" ? [] : KEY_SECURITY,
    "x-keygate-scope": access,
    responses: { ...(access === "public" ? publicProblems : problemResponses), ...withProblemBodies(config.responses) },
  });
  const body = config.request?.body;
  policies.set(route, {
    access,
    cost: admission.cost ?? 1,
    failOpen: admission.failOpen ?? false,
    usageName: config.path.replace(/\{(\w+)\}/g, ":$1"),
    body: body === undefined ? { kind: "none" } : { kind: "json", required: body.required === true, maxBytes: admission.maxBodyBytes ?? ADMIN_BODY_LIMIT_BYTES },
  });
  return route;
}

/** The policy defineRoute recorded for a route. */
export function policyOf(route: object): RoutePolicy {
  const policy = policies.get(route);
  if (!policy) throw new Error("route was not made by defineRoute");
  return policy;
}

/** A route and its handler, as a feature exports it for src/app.ts to mount. */
export type Endpoint = { route: RouteConfig; handler: RouteHandler<never, AppEnv> };

export function endpoint<R extends RouteConfig>(route: R, handler: RouteHandler<R, AppEnv>): Endpoint {
  return { route, handler: handler as unknown as Endpoint["handler"] };
}

/** The first per-route middleware: puts the route's policy where the stages read it. */
export function declareRoute(policy: RoutePolicy): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("route", policy);
    await next();
  };
}
