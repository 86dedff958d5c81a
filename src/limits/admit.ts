// The admission stage: after authentication and the route's scope check, before the handler.
// Spends from the isolate's lease when it can, asks the key's object when it must, and answers
// 429 / 503 per IETF and RFC 9457. Records usage for every authenticated response.
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/context.ts";
import { log } from "../http/log.ts";
import { insufficientScope, Problem } from "../http/problem.ts";
import { forgetKey } from "../keys/lookup.ts";
import type { RouteAccess } from "../keys/scopes.ts";
import { rateLimitHeaders } from "./headers.ts";
import { USAGE_REPORT_MS } from "./lease-policy.ts";
import { admitRequest, lastView, overdueUsage, recordUsage, type Decision } from "./leases.ts";
import type { LimitView } from "./protocol.ts";

export type AdmissionPolicy = {
  /** Tokens this route costs (default 1). */
  cost?: number;
  /** When the key's object cannot be reached: refuse with 503 (default) or let the request through. */
  failOpen?: boolean;
};

export function admit(access: RouteAccess, policy: AdmissionPolicy = {}): MiddlewareHandler<AppEnv> {
  const cost = policy.cost ?? 1;
  const scope = access === "public" || access === "authenticated" ? null : access;
  return async (c, next) => {
    const { key, tenant } = c.get("principal");
    const route = `${c.req.method} ${c.var.usageRoute ?? c.req.routePath}`;
    const record = (status: number) => trackUsage(c, route, status);
    let decision: Decision;
    try {
      const stores = c.get("stores");
      decision = await admitRequest(
        { limiter: () => stores.keyLimiter(key.keyId), backgroundLimiter: () => stores.background.keyLimiter(key.keyId), defer: c.get("defer") },
        key,
        tenant,
        scope,
        cost,
      );
    } catch (err) {
      log("error", "limiter.unreachable", { keyId: key.keyId, error: String(err) });
      decision = { ok: false, reason: "unavailable" };
    }
    if (!decision.ok && decision.reason === "unavailable") {
      if (!policy.failOpen) {
        record(503);
        throw new Problem("limiter-unavailable", {
          detail: "Rate limiting is temporarily unavailable, so the request was not admitted; retry shortly.",
          headers: { "Retry-After": "1" },
        });
      }
      await next();
      record(c.res.status);
      return;
    }
    if (!decision.ok) {
      const problem = refusal(c, decision, scope);
      record(problem.status);
      throw problem;
    }
    await next();
    for (const [name, value] of Object.entries(rateLimitHeaders(decision.view, decision.remaining, decision.view.nextTokenSeconds))) {
      c.res.headers.set(name, value);
    }
    record(c.res.status);
  };
}

/**
 * For authenticated responses that never reached admission (a scope refused from cache, an
 * unknown route, a wrong method): the fields from this isolate's last answer for the key, or a
 * read of the object that spends nothing.
 */
export const rateLimitFields: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const principal = c.var.principal;
  if (!principal || c.res.headers.has("RateLimit") || c.res.status === 503) return;
  const { key, tenant } = principal;
  let view: LimitView | null = lastView(key.keyId);
  let remaining = view?.tokens ?? 0;
  if (!view) {
    try {
      view = await c
        .get("stores")
        .keyLimiter(key.keyId)
        .peek({ limit: key.rateLimit ?? tenant.rateLimit, keyQuota: key.monthlyQuota, tenantQuota: tenant.monthlyQuota, tenantId: key.tenantId });
      remaining = view.tokens;
    } catch (err) {
      log("warn", "limiter.peek_failed", { keyId: key.keyId, error: String(err) });
      return;
    }
  }
  for (const [name, value] of Object.entries(rateLimitHeaders(view, remaining, view.nextTokenSeconds))) c.res.headers.set(name, value);
};

/** Counts go to the key's object with the next lease call, or after USAGE_REPORT_MS if none comes. */
function trackUsage(c: Context<AppEnv>, route: string, status: number): void {
  const { key } = c.get("principal");
  if (!recordUsage(key.keyId, route, status, Date.now())) return;
  const stub = c.get("stores").keyLimiter(key.keyId);
  c.get("defer")(
    new Promise((resolve) => setTimeout(resolve, USAGE_REPORT_MS)).then(() => {
      const overdue = overdueUsage(key.keyId, Date.now());
      if (!overdue) return;
      return stub
        .report({ ...overdue, keyId: key.keyId, tenantId: key.tenantId })
        .catch((err: unknown) => log("warn", "limiter.report_failed", { keyId: key.keyId, error: String(err) }));
    }),
  );
}

const retryAfterSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** An answer of the object other than "unavailable" (handled before: it may fail open). */
function refusal(c: Context<AppEnv>, decision: Exclude<Decision, { ok: true } | { reason: "unavailable" }>, scope: string | null): Problem {
  const { key } = c.get("principal");
  const cause = JSON.stringify({ keyId: key.keyId, tenantId: key.tenantId, source: "limiter", reason: decision.reason });
  switch (decision.reason) {
    case "revoked":
    case "disabled":
    case "expired":
    case "unknown-secret":
      // The object knows better than this isolate's cache: stop trusting the cached copy.
      forgetKey(key.hash, decision.reason);
      return decision.reason === "unknown-secret"
        ? new Problem("unknown-key", { detail: "The API key is not valid.", cause })
        : new Problem(`${decision.reason}-key`, { detail: `The API key is ${decision.reason}.`, cause });
    case "scope":
      return insufficientScope(scope ?? "", key.keyId, "limiter");
    case "burst":
    case "month": {
      const t = retryAfterSeconds(decision.retryAfterMs);
      const headers = rateLimitHeaders(decision, decision.tokens, decision.reason === "burst" ? t : decision.nextTokenSeconds);
      return new Problem("quota-exceeded", {
        detail:
          decision.reason === "burst"
            ? `Rate limit exceeded: the key's bucket holds ${decision.limit.capacity} requests and refills ${decision.limit.refillPerSecond}/s. Retry after ${t} s.`
            : `Monthly quota exceeded (${decision.quota?.limit} requests). It resets in ${t} s.`,
        headers: { ...headers, "Retry-After": String(t) },
        extensions: { "violated-policies": [decision.reason] },
        cause,
      });
    }
  }
}
