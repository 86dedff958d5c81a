import { describe, expect, it } from "vitest";
import { outcomeOf } from "../../src/analytics/outcome.ts";
import { Problem, PROBLEMS, type ProblemKind } from "../../src/core/problem.ts";
import { OUTCOMES } from "../../src/analytics/outcome.ts";

describe("outcomes", () => {
  it("names each refusal for what it was, not only its status", () => {
    const of = (kind: ProblemKind, extensions?: Record<string, unknown>) => outcomeOf(PROBLEMS[kind].status, new Problem(kind, { extensions }));
    expect(of("missing-credential")).toBe("missing_credential");
    expect(of("malformed-key")).toBe("malformed_key");
    expect(of("unknown-key")).toBe("unknown_key");
    expect(of("revoked-key")).toBe("revoked");
    expect(of("expired-key")).toBe("expired");
    expect(of("disabled-key")).toBe("disabled");
    expect(of("tenant-inactive")).toBe("tenant_inactive");
    expect(of("insufficient-scope")).toBe("forbidden");
    expect(of("quota-exceeded", { "violated-policies": ["burst"] })).toBe("rate_limited");
    expect(of("quota-exceeded", { "violated-policies": ["tenant"] })).toBe("rate_limited");
    expect(of("quota-exceeded", { "violated-policies": ["month"] })).toBe("quota_exceeded");
    expect(of("too-many-auth-failures")).toBe("rate_limited");
    expect(of("validation-failed")).toBe("invalid_request");
    expect(of("not-found")).toBe("invalid_request");
    expect(of("origin-unreachable")).toBe("origin_error");
    expect(of("origin-timeout")).toBe("origin_error");
    expect(of("limiter-unavailable")).toBe("gateway_error");
    expect(of("internal")).toBe("gateway_error");
    expect(outcomeOf(200, undefined)).toBe("valid");
    expect(outcomeOf(404, undefined)).toBe("valid"); // the origin's own answer
    expect(outcomeOf(503, undefined)).toBe("origin_error");
  });

  it("every problem kind maps to one of the outcomes", () => {
    for (const kind of Object.keys(PROBLEMS) as ProblemKind[]) {
      expect(OUTCOMES).toContain(outcomeOf(PROBLEMS[kind].status, new Problem(kind)));
    }
  });
});
