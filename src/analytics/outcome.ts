// Every request ends with exactly one outcome: what the gateway decided, not only what the status
// code says (a 401 can be a missing, malformed, unknown, revoked, expired or disabled key).
import type { Problem, ProblemKind } from "../core/problem.ts";

export const OUTCOMES = [
  "valid",
  "rate_limited",
  "quota_exceeded",
  "missing_credential",
  "malformed_key",
  "unknown_key",
  "revoked",
  "expired",
  "disabled",
  "tenant_inactive",
  "forbidden",
  "invalid_request",
  "origin_error",
  // Not the client's doing and not the origin's: our own 500/503 (store, limiter, signing).
  "gateway_error",
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** The outcomes of a failed authentication: what offenders are ranked by and auth_failures alerts count. */
export const AUTH_FAILURES: readonly Outcome[] = ["missing_credential", "malformed_key", "unknown_key", "revoked", "expired", "disabled"];
/** A real key refused for its own state or its tenant's: what the security events in the audit log watch. */
export const AUTH_REFUSED: readonly Outcome[] = ["revoked", "expired", "disabled", "tenant_inactive"];
/** Outcomes that can happen before any key is known: counted per isolate, never per key. */
export const KEYLESS: readonly Outcome[] = ["missing_credential", "malformed_key", "unknown_key"];

const BY_KIND: Partial<Record<ProblemKind, Outcome>> = {
  "missing-credential": "missing_credential",
  "malformed-key": "malformed_key",
  "unknown-key": "unknown_key",
  // A ticket that is unknown, spent, expired or for another path: a credential that is not valid.
  "invalid-ticket": "unknown_key",
  "revoked-key": "revoked",
  "expired-key": "expired",
  "disabled-key": "disabled",
  "tenant-inactive": "tenant_inactive",
  "too-many-auth-failures": "rate_limited",
  "origin-unreachable": "origin_error",
  "origin-timeout": "origin_error",
};

export function outcomeOf(status: number, problem: Problem | undefined): Outcome {
  if (!problem) return status >= 500 ? "origin_error" : "valid";
  const known = BY_KIND[problem.kind];
  if (known) return known;
  if (problem.kind === "quota-exceeded") {
    const violated = problem.options.extensions?.["violated-policies"];
    return Array.isArray(violated) && violated.includes("month") ? "quota_exceeded" : "rate_limited";
  }
  if (problem.status >= 500) return "gateway_error";
  if (problem.status === 403) return "forbidden";
  return "invalid_request";
}

export const isOutcome = (v: string): v is Outcome => (OUTCOMES as readonly string[]).includes(v);
