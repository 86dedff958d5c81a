// Per-route stage: admission by the key's limiter. Spends from the isolate's lease when it can,
// asks the key's object when it must, answers 429 / 503 per IETF and RFC 9457, adds the RateLimit
// fields, and counts the response in the key's usage.
import type { Context, MiddlewareHandler } from "hono";
import { log } from "../../core/log.ts";
import { rateLimitHeaders } from "../../limits/headers.ts";
import { admitRequest, type Decision, type LimiterAccess } from "../../limits/leases.ts";
import { limiterUnavailable, refusalProblem } from "../../limits/refusals.ts";
import { countResponse } from "../../limits/usage-report.ts";
import type { AppEnv } from "../context.ts";

/** The key's object for this request, made only when called; a renewal's calls metered apart. */
export function limiterAccess(c: Context<AppEnv>): LimiterAccess {
  const stores = c.get("stores");
  const { keyId } = c.get("principal").key;
  return { limiter: () => stores.keyLimiter(keyId), backgroundLimiter: () => stores.background.keyLimiter(keyId), defer: c.get("defer") };
}

export const admission: MiddlewareHandler<AppEnv> = async (c, next) => {
  const policy = c.var.route;
  if (policy.access === "public") return next();
  c.set("admitted", true);
  const scope = policy.access === "authenticated" ? null : policy.access;
  const { key, tenant } = c.get("principal");
  const stores = c.get("stores");
  const defer = c.get("defer");
  const route = `${c.req.method} ${policy.usageName}`;
  const record = (status: number) => countResponse(key, route, status, () => stores.keyLimiter(key.keyId), defer);

  let decision: Decision;
  try {
    decision = await admitRequest(limiterAccess(c), key, tenant, scope, policy.cost);
  } catch (err) {
    log("error", "limiter.unreachable", { keyId: key.keyId, error: String(err) });
    decision = { ok: false, reason: "unavailable" };
  }
  if (!decision.ok && decision.reason === "unavailable") {
    if (!policy.failOpen) {
      record(503);
      throw limiterUnavailable();
    }
    await next();
    record(c.res.status);
    return;
  }
  if (!decision.ok) {
    const problem = refusalProblem(key, decision, scope);
    record(problem.status);
    throw problem;
  }
  await next();
  for (const [name, value] of Object.entries(rateLimitHeaders(decision.view, decision.remaining, decision.view.nextTokenSeconds))) {
    c.res.headers.set(name, value);
  }
  record(c.res.status);
};
