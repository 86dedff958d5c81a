// Stage: every authenticated request is limited and counted, also one that never reached
// admission (no such route, a wrong method, a scope refused from the key's cached copy). Such a
// request spends one token here, from the isolate's lease like any other (no object call per
// request), and leaves with the RateLimit fields; a key with no
// token left gets the 429 instead of the 404, 405 or 403, so an exhausted key cannot keep
// generating work.
import type { MiddlewareHandler } from "hono";
import { legacyRateLimitHeaders } from "../../config/settings.ts";
import { log, loggablePath } from "../../core/log.ts";
import { problemResponse } from "../../core/problem.ts";
import { admitRequest, type Decision } from "../../limits/leases.ts";
import { refusalProblem } from "../../limits/refusals.ts";
import type { AppEnv } from "../context.ts";
import { limiterAccess, setRateLimitFields } from "./admission.ts";

export const chargeUnadmitted: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const principal = c.get("principal");
  if (!principal || c.get("admitted") || principal.operator) return;
  const { key, tenant } = principal;
  let decision: Decision;
  try {
    decision = await admitRequest(limiterAccess(c), key, tenant, null, 1, { ip: c.req.header("cf-connecting-ip") ?? null });
  } catch (err) {
    // The answer the request already has stands; it just carries no RateLimit fields.
    log("warn", "limiter.unreachable", { keyId: key.keyId, error: String(err) });
    return;
  }
  if (!decision.ok && decision.reason === "unavailable") return;
  if (!decision.ok) {
    const problem = refusalProblem(key, decision, null, legacyRateLimitHeaders(c.env));
    c.error = problem;
    c.res = problemResponse(problem, c.get("requestId"), loggablePath(c.get("url")));
    return;
  }
  c.set("charged", 1);
  setRateLimitFields(c, decision);
};
