// Per-route stage: the route's scope, from the key's cached copy. A request refused here spends no
// token (admission comes after); the key's object re-checks scopes from its own state.
import type { MiddlewareHandler } from "hono";
import { insufficientScope } from "../../core/problem.ts";
import { grants } from "../../keys/scopes.ts";
import type { AppEnv } from "../context.ts";

export const requireScope: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { access } = c.var.route;
  if (access !== "public" && access !== "authenticated") {
    const { key } = c.get("principal");
    if (!grants(key.scopes, access)) throw insufficientScope(access, key.keyId, "cache");
  }
  await next();
};
