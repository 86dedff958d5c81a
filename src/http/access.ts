// Route access: every route declares what it needs ("public", "authenticated" or a scope) through
// defineRoute, which both enforces it and publishes it in the OpenAPI document as x-keygate-scope.
import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { grants, type RouteAccess } from "../keys/scopes.ts";
import { admit, type AdmissionPolicy } from "../limits/admit.ts";
import type { AppEnv } from "./context.ts";
import { insufficientScope, Problem } from "./problem.ts";

/** `{ content: { "application/json": { schema } } }`, the shape every JSON request/response takes. */
export const jsonContent = <T>(schema: T) => ({ content: { "application/json": { schema } } });

export const ADMIN_BODY_LIMIT_BYTES = 64 * 1024;

export function requireAccess(access: RouteAccess): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (access !== "public" && access !== "authenticated") {
      const { key } = c.get("principal");
      if (!grants(key.scopes, access)) throw insufficientScope(access, key.keyId, "cache");
    }
    await next();
  };
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

/** 415 for a body that is not JSON, before zod ever sees it. An optional body may be absent. */
function jsonBody(required: boolean): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const body = requestBody(c.req.raw.headers);
    if ((body.present || required) && !JSON_TYPE.test(body.type)) {
      throw new Problem("unsupported-media-type", { detail: "Send the request body as application/json." });
    }
    await next();
  };
}

/** Whether a request carries a body, by its headers, and the body's media type (lowercase, bare). */
export function requestBody(headers: Headers): { present: boolean; type: string } {
  const type = headers.get("content-type");
  const present = type !== null || (headers.get("content-length") ?? "0") !== "0" || headers.has("transfer-encoding");
  return { present, type: (type ?? "").split(";")[0]!.trim().toLowerCase() };
}

const limitBody = bodyLimit({
  maxSize: ADMIN_BODY_LIMIT_BYTES,
  onError: () => {
    throw new Problem("payload-too-large", { detail: `Request bodies are limited to ${ADMIN_BODY_LIMIT_BYTES} bytes.` });
  },
});

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

const KEY_SECURITY: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKeyHeader: [] }];

/** createRoute plus the access rule, its middleware and the error responses every route shares. */
export function defineRoute<R extends RouteConfig & { operationId: string }>(
  access: RouteAccess,
  config: R,
  admission: AdmissionPolicy = {},
) {
  const hasBody = config.request?.body !== undefined;
  // Scope first, then the key's limiter: a request refused for its scope spends no token.
  const middleware: MiddlewareHandler<AppEnv>[] = [requireAccess(access)];
  if (access !== "public") middleware.push(admit(access, admission));
  if (hasBody) middleware.push(jsonBody(config.request?.body?.required === true), limitBody as MiddlewareHandler<AppEnv>);
  return createRoute({
    ...config,
    security: access === "public" ? [] : KEY_SECURITY,
    "x-keygate-scope": access,
    middleware,
    responses: { ...(access === "public" ? publicProblems : problemResponses), ...withProblemBodies(config.responses) },
  });
}
