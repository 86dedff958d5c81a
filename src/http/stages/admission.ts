// Per-route stage: admission by the key's limiter. Spends from the isolate's lease when it can,
// asks the key's object when it must, answers 429 / 503 per IETF and RFC 9457, adds the RateLimit
// fields, and notes what the request spent (the outcome stage counts it).
import type { Context, MiddlewareHandler } from "hono";
import { log } from "../../core/log.ts";
import { legacyRateLimitHeaders } from "../../config/settings.ts";
import { rateLimitHeaders } from "../../limits/headers.ts";
import { admitRequest, type Decision, type LimiterAccess } from "../../limits/leases.ts";
import { limiterUnavailable, refusalProblem } from "../../limits/refusals.ts";
import type { AppEnv } from "../context.ts";

/** The key's object for this request, made only when called; a renewal's calls metered apart. */
export function limiterAccess(c: Context<AppEnv>): LimiterAccess {
  const stores = c.get("stores");
  const { keyId } = c.get("principal").key;
  return { limiter: () => stores.keyLimiter(keyId), backgroundLimiter: () => stores.background.keyLimiter(keyId), defer: c.get("defer") };
}

export const admission: MiddlewareHandler<AppEnv> = async (c, next) => {
  const policy = c.get("route");
  if (policy.access === "public") return next();
  c.set("admitted", true);
  // A person is not metered: operators have no key object, and the admin API is theirs to run.
  if (c.get("principal").operator) return next();
  const scope = policy.access === "authenticated" ? null : policy.access;
  const { key, tenant } = c.get("principal");

  let decision: Decision;
  try {
    const admitted = admitRequest(limiterAccess(c), key, tenant, scope, policy.cost, { ip: c.req.header("cf-connecting-ip") ?? null, resource: c.get("resource") ?? null });
    decision = admitted instanceof Promise ? await admitted : admitted;
  } catch (err) {
    log("error", "limiter.unreachable", { keyId: key.keyId, error: String(err) });
    decision = { ok: false, reason: "unavailable" };
  }
  if (!decision.ok && decision.reason === "unavailable") {
    if (!policy.failOpen) throw limiterUnavailable();
    return next();
  }
  if (!decision.ok) {
    throw refusalProblem(key, decision, scope, legacyRateLimitHeaders(c.env));
  }
  c.set("charged", policy.cost);
  await next();
  setRateLimitFields(c, decision);
};

/** The RateLimit fields of an admitted request (and the legacy trio, if configured) on its answer. */
export function setRateLimitFields(c: Context<AppEnv>, admitted: Extract<Decision, { ok: true }>): void {
  const fields = rateLimitHeaders(admitted.view, admitted.remaining, admitted.view.nextTokenSeconds, undefined, legacyRateLimitHeaders(c.env));
  for (const name in fields) c.res.headers.set(name, fields[name]!);
}
