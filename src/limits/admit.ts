// The admission stage: after authentication and the route's scope check, before the handler.
// Spends from the isolate's lease when it can, asks the key's object when it must, and answers
// 429 / 503 per IETF and RFC 9457. Records usage for every authenticated response.
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/context.ts";
import { log } from "../http/log.ts";
import { Problem } from "../http/problem.ts";
import { forgetKey } from "../keys/lookup.ts";
import { grants, type Scope } from "../keys/scopes.ts";
import { rateLimitHeaders } from "./headers.ts";
import { acquireLease, overdueUsage, recordUsage, spendLocal } from "./leases.ts";
import type { AcquireResult, LimitView } from "./protocol.ts";

export type AdmissionPolicy = {
  /** Tokens this route costs (default 1). */
  cost?: number;
  /** When the key's object cannot be reached: refuse with 503 (default) or let the request through. */
  failOpen?: boolean;
};

export function admit(required: Scope | "authenticated", policy: AdmissionPolicy = {}): MiddlewareHandler<AppEnv> {
  const cost = policy.cost ?? 1;
  return async (c, next) => {
    const { key, tenant } = c.get("principal");
    const now = Date.now();
    const route = `${c.req.method} ${c.req.routePath}`;
    let headers: Record<string, string> | undefined;
    try {
      const local = spendLocal(key.keyId, key.hash, cost, now);
      if (local) {
        checkScopes(local.scopes, required, key.keyId);
        headers = rateLimitHeaders(local.view, local.remaining, local.view.nextTokenSeconds);
      } else {
        let result: AcquireResult;
        try {
          result = await acquireLease(c.get("stores").keyLimiter(key.keyId), key, tenant, cost, now);
        } catch (err) {
          log("error", "limiter.unreachable", { keyId: key.keyId, error: String(err) });
          if (policy.failOpen) return await next();
          throw new Problem("limiter-unavailable", {
            detail: "Rate limiting is temporarily unavailable, so the request was not admitted; retry shortly.",
            headers: { "Retry-After": "1" },
          });
        }
        if (!result.ok) throw refusal(c, result);
        checkScopes(result.scopes, required, key.keyId);
        headers = rateLimitHeaders(result, result.tokens, result.nextTokenSeconds);
      }
    } catch (err) {
      if (err instanceof Problem && err.status === 429) recordUsage(key.keyId, route, 429, now);
      throw err;
    }
    await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
    recordUsage(key.keyId, route, c.res.status, now);
    const overdue = overdueUsage(key.keyId, now);
    if (overdue) {
      c.get("defer")(
        c
          .get("stores")
          .keyLimiter(key.keyId)
          .report({ ...overdue, keyId: key.keyId, tenantId: key.tenantId })
          .catch((err: unknown) => log("warn", "limiter.report_failed", { keyId: key.keyId, error: String(err) })),
      );
    }
  };
}

/** The lease's scopes are the object's, fresher than any cache: a scope removed is enforced here. */
function checkScopes(scopes: string[], required: Scope | "authenticated", keyId: string): void {
  if (required === "authenticated" || grants(scopes, required)) return;
  throw new Problem("insufficient-scope", {
    detail: `This operation requires the '${required}' scope.`,
    scope: required,
    cause: JSON.stringify({ keyId, required, source: "limiter" }),
  });
}

const QUOTA_EXCEEDED = "https://iana.org/assignments/http-problem-types#quota-exceeded";

function refusal(c: Context<AppEnv>, result: Exclude<AcquireResult, { ok: true }>): Problem {
  const { key } = c.get("principal");
  const cause = JSON.stringify({ keyId: key.keyId, tenantId: key.tenantId, source: "limiter", reason: result.reason });
  switch (result.reason) {
    case "revoked":
    case "disabled":
    case "expired":
    case "unknown-secret":
      // The object knows better than this isolate's cache: stop trusting the cached copy.
      forgetKey(key.hash);
      return new Problem(result.reason === "unknown-secret" ? "unknown-key" : (`${result.reason}-key` as const), {
        detail: result.reason === "unknown-secret" ? "The API key is not valid." : `The API key is ${result.reason}.`,
        cause,
      });
    case "burst":
    case "month": {
      const view = result as LimitView & { retryAfter: number };
      const t = view.retryAfter;
      const headers = rateLimitHeaders(view, view.tokens, result.reason === "burst" ? t : view.nextTokenSeconds);
      return new Problem("quota-exceeded", {
        detail:
          result.reason === "burst"
            ? `Rate limit exceeded: the key's bucket holds ${view.limit.capacity} requests and refills ${view.limit.refillPerSecond}/s. Retry after ${t} s.`
            : `Monthly quota exceeded (${view.quota?.limit} requests). It resets in ${t} s.`,
        headers: { ...headers, "Retry-After": String(t) },
        extensions: { "violated-policies": [result.reason] },
        cause,
      });
    }
  }
}
