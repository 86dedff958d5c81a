// Stage: the networks the key and its tenant may be used from (keys/access-rules.ts), checked from
// the key's freshest rules in this isolate (its lease's, else its cached copy's) and the tenant's
// cached copy. The address is CF-Connecting-IP only, which Cloudflare sets; X-Forwarded-For is a
// client's to write. Refused before the charge-unadmitted stage: a key used from the wrong network
// (a leaked one, most likely) cannot drain its owner's bucket.
import type { MiddlewareHandler } from "hono";
import { networkVerdict } from "../../keys/access-rules.ts";
import { currentRules } from "../../limits/leases.ts";
import { ipNotAllowed } from "../../limits/refusals.ts";
import type { AppEnv } from "../context.ts";

export const checkNetwork: MiddlewareHandler<AppEnv> = (c, next) => {
  const { key, tenant, operator } = c.get("principal");
  // A platform-wide operator is held to Cloudflare Access's policies alone; a tenant's operator also
  // to the tenant's networks, as every key of the tenant is.
  if (operator && operator.tenantId === null) return next();
  const verdict = networkVerdict(c.req.header("cf-connecting-ip"), operator ? [tenant.network] : [currentRules(key), tenant.network]);
  if (verdict !== "ok") throw ipNotAllowed(verdict, JSON.stringify({ keyId: key.keyId, tenantId: key.tenantId, source: "cache" }));
  return next();
};
