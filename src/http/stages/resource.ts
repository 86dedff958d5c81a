// Per-route stage: the resource the route names in this request's path (route-table `resource`),
// against the key's freshest rules in this isolate. Like a scope refusal, it is charged one token
// by the charge-unadmitted stage; the lease and the key's object check it again at admission.
import type { MiddlewareHandler } from "hono";
import { resourceAllowed } from "../../keys/access-rules.ts";
import { currentRules } from "../../limits/leases.ts";
import { insufficientResource } from "../../limits/refusals.ts";
import type { AppEnv } from "../context.ts";

export const checkResource: MiddlewareHandler<AppEnv> = (c, next) => {
  const ref = c.get("resource");
  if (ref) {
    const { key } = c.get("principal");
    if (!resourceAllowed(currentRules(key).resources, ref)) {
      throw insufficientResource(ref.type, JSON.stringify({ keyId: key.keyId, tenantId: key.tenantId, source: "cache" }));
    }
  }
  return next();
};
