// Route access: every route declares what it needs ("public", "authenticated" or a scope) through
// defineRoute, which both enforces it and publishes it in the OpenAPI document as x-keygate-scope.
import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { grants, type RouteAccess } from "../keys/scopes.ts";
import type { AppEnv } from "./context.ts";
import { Problem } from "./problem.ts";

export const ADMIN_BODY_LIMIT_BYTES = 64 * 1024;

export function requireAccess(access: RouteAccess): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (access !== "public" && access !== "authenticated") {
      const { key } = c.get("principal");
      if (!grants(key.scopes, access)) {
        throw new Problem("insufficient-scope", {
          detail: `This operation requires the '${access}' scope.`,
          scope: access,
          cause: JSON.stringify({ keyId: key.keyId, required: access }),
        });
      }
    }
    await next();
  };
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

/** 415 for a body that is not JSON, 413 past the limit; before zod ever sees it. */
const jsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim();
  if (!JSON_TYPE.test(type)) {
    throw new Problem("unsupported-media-type", { detail: "Send the request body as application/json." });
  }
  await next();
};

const limitBody = bodyLimit({
  maxSize: ADMIN_BODY_LIMIT_BYTES,
  onError: () => {
    throw new Problem("payload-too-large", { detail: `Request bodies are limited to ${ADMIN_BODY_LIMIT_BYTES} bytes.` });
  },
});

const problemResponses = {
  400: { description: "Bad request", content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } },
  401: { description: "Missing or invalid API key", content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } },
  403: { description: "Insufficient scope or inactive tenant", content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } },
} as const;

const KEY_SECURITY: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKeyHeader: [] }];

/** createRoute plus the access rule, its middleware and the error responses every route shares. */
export function defineRoute<R extends RouteConfig>(access: RouteAccess, config: R) {
  const hasBody = config.request?.body !== undefined;
  const middleware: MiddlewareHandler<AppEnv>[] = [requireAccess(access)];
  if (hasBody) middleware.push(jsonBody, limitBody as MiddlewareHandler<AppEnv>);
  return createRoute({
    ...config,
    security: access === "public" ? [] : KEY_SECURITY,
    "x-keygate-scope": access,
    middleware,
    responses: access === "public" ? config.responses : { ...problemResponses, ...config.responses },
  });
}
