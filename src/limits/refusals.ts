// What a client hears when the key's limiter says no: RFC 9457 problems with the IETF RateLimit
// fields, and, when the object knows better than this isolate's cache, a corrected cache.
import { insufficientScope, Problem } from "../core/problem.ts";
import { forgetKey } from "../keys/lookup.ts";
import type { KeySnapshot } from "../keys/snapshot.ts";
import { rateLimitHeaders } from "./headers.ts";
import type { Decision } from "./leases.ts";

export type Refusal = Exclude<Decision, { ok: true } | { reason: "unavailable" }>;

const retryAfterSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** The client's network is refused by the key's or its tenant's rules (`verdict` stays in the log). */
export function ipNotAllowed(verdict: "denied" | "not-allowed" | "no-address", cause: string): Problem {
  return new Problem("ip-not-allowed", {
    detail:
      verdict === "no-address"
        ? "This API key may only be used from allowed networks, and the request's client address is unknown."
        : "This API key may not be used from the request's client address.",
    cause: `${cause} network=${verdict}`,
  });
}

/** The resource type is named, never the ids the key may touch. */
export function insufficientResource(type: string, cause: string): Problem {
  return new Problem("insufficient-resource", {
    detail: `This API key may not access this ${type}.`,
    extensions: { "resource-type": type },
    cause,
  });
}

/** The key's object could not be reached and the route does not fail open. */
export function limiterUnavailable(): Problem {
  return new Problem("limiter-unavailable", {
    detail: "Rate limiting is temporarily unavailable, so the request was not admitted; retry shortly.",
    headers: { "Retry-After": "1" },
  });
}

/** An answer of the object other than "unavailable" (handled before: it may fail open). */
export function refusalProblem(key: KeySnapshot, decision: Refusal, scope: string | null, legacyHeaders = false): Problem {
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
    case "ip":
      return ipNotAllowed(decision.verdict, cause);
    case "resource":
      return insufficientResource(decision.type, cause);
    case "burst":
    case "tenant":
    case "month": {
      const t = retryAfterSeconds(decision.retryAfterMs);
      const headers = rateLimitHeaders(decision, decision.tokens, decision.reason === "burst" ? t : decision.nextTokenSeconds, decision.reason === "tenant" ? t : undefined, legacyHeaders);
      const shared = decision.tenant?.limit;
      return new Problem("quota-exceeded", {
        detail:
          decision.reason === "burst"
            ? `Rate limit exceeded: the key's bucket holds ${decision.limit.capacity} requests and refills ${decision.limit.refillPerSecond}/s. Retry after ${t} s.`
            : decision.reason === "tenant"
              ? `The tenant's rate limit is exceeded: its keys share a bucket of ${shared?.capacity} requests that refills ${shared?.refillPerSecond}/s. Retry after ${t} s.`
              : `Monthly quota exceeded (${decision.quota?.limit} requests). It resets in ${t} s.`,
        headers: { ...headers, "Retry-After": String(t) },
        extensions: { "violated-policies": [decision.reason] },
        cause,
      });
    }
  }
}
