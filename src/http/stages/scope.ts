// Per-route stage: the route's scope, from the key's cached copy. A request refused here spends no
// token (admission comes after); the key's object re-checks scopes from its own state. Forwarded
// routes take a key, never a person.
import type { MiddlewareHandler } from "hono";
import { insufficientScope, Problem } from "../../core/problem.ts";
import { grants } from "../../keys/scopes.ts";
import type { AppEnv } from "../context.ts";

export const requireScope: MiddlewareHandler<AppEnv> = (c, next) => {
  const { access, body } = c.get("route");
  // Forwarded routes act for a key and sign its identity for the origin: a person has neither.
  if (body.kind === "forwarded" && (c.get("principal").operator || c.get("session"))) {
    throw new Problem("api-key-required", { detail: "Forwarded routes take an API key (Authorization: Bearer <key>); console sessions and Access sign-in reach the admin API only." });
  }
  if (access !== "public" && access !== "authenticated") {
    const { key } = c.get("principal");
    if (!grants(key.scopes, access)) throw insufficientScope(access, key.keyId, "cache");
  }
  return next();
};
