// RFC 9457 problem details. Every error a client can cause is one of these, with a stable type URI.
import { scrub } from "./log.ts";

export const PROBLEM_BASE = "https://keygate.dev/problems/";

type ProblemSpec = { status: number; title: string; challenge?: string; type?: string };

/** The catalogue: one entry per cause a client can observe. Documented in README and /docs. */
export const PROBLEMS = {
  "missing-credential": { status: 401, title: "API key required", challenge: "" },
  "malformed-key": { status: 401, title: "Malformed API key", challenge: "invalid_token" },
  "unknown-key": { status: 401, title: "Invalid API key", challenge: "invalid_token" },
  "revoked-key": { status: 401, title: "API key revoked", challenge: "invalid_token" },
  "expired-key": { status: 401, title: "API key expired", challenge: "invalid_token" },
  "disabled-key": { status: 401, title: "API key disabled", challenge: "invalid_token" },
  "tenant-inactive": { status: 403, title: "Tenant inactive" },
  "insufficient-scope": { status: 403, title: "Insufficient scope", challenge: "insufficient_scope" },
  "invalid-request": { status: 400, title: "Invalid request", challenge: "invalid_request" },
  "bad-request": { status: 400, title: "Bad request" },
  "validation-failed": { status: 422, title: "Validation failed" },
  "not-found": { status: 404, title: "Not found" },
  "method-not-allowed": { status: 405, title: "Method not allowed" },
  "unsupported-media-type": { status: 415, title: "Unsupported media type" },
  "payload-too-large": { status: 413, title: "Payload too large" },
  "key-name-taken": { status: 409, title: "Key name already in use" },
  "key-limit-reached": { status: 409, title: "Key limit of the plan reached" },
  "key-revoked": { status: 409, title: "Key is revoked" },
  "slug-taken": { status: 409, title: "Tenant slug already in use" },
  conflict: { status: 409, title: "Conflict" },
  "store-unavailable": { status: 503, title: "Key store unavailable" },
  // Registered types (IANA HTTP Problem Types), as the RateLimit fields draft asks.
  "quota-exceeded": {
    status: 429,
    title: "Request cannot be satisfied as assigned quota has been exceeded",
    type: "https://iana.org/assignments/http-problem-types#quota-exceeded",
  },
  "limiter-unavailable": {
    status: 503,
    title: "Temporary reduced capacity",
    type: "https://iana.org/assignments/http-problem-types#temporary-reduced-capacity",
  },
  "too-many-auth-failures": { status: 429, title: "Too many failed authentication attempts" },
  internal: { status: 500, title: "Internal error" },
} as const satisfies Record<string, ProblemSpec>;

export type ProblemKind = keyof typeof PROBLEMS;

export const REALM = "keygate";

export function problemType(kind: ProblemKind): string {
  const spec: ProblemSpec = PROBLEMS[kind];
  return spec.type ?? PROBLEM_BASE + kind;
}

export type ProblemOptions = {
  detail?: string;
  /** The scope a 403 insufficient_scope names in its challenge. */
  scope?: string;
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** What really happened, for the structured log only; never sent to the client. */
  cause?: string;
};

export class Problem extends Error {
  readonly kind: ProblemKind;
  readonly options: ProblemOptions;
  constructor(kind: ProblemKind, options: ProblemOptions = {}) {
    super(options.detail ?? PROBLEMS[kind].title);
    this.kind = kind;
    this.options = options;
  }
  get status(): number {
    return PROBLEMS[this.kind].status;
  }
}

function challengeFor(kind: ProblemKind, options: ProblemOptions): string | undefined {
  const spec: ProblemSpec = PROBLEMS[kind];
  if (spec.challenge === undefined) return undefined;
  // RFC 6750 §3: a request without credentials gets a bare challenge with no error code.
  if (spec.challenge === "") return `Bearer realm="${REALM}"`;
  const parts = [`realm="${REALM}"`, `error="${spec.challenge}"`];
  // RFC 6750 §3: error_description is printable ASCII without quote or backslash.
  if (options.detail) parts.push(`error_description="${options.detail.replace(/[^\x20-\x7e]|["\\]/g, "")}"`);
  if (options.scope) parts.push(`scope="${options.scope}"`);
  return `Bearer ${parts.join(", ")}`;
}

export function problemResponse(problem: Problem, requestId: string | undefined, instance: string): Response {
  const { kind, options } = problem;
  const spec: ProblemSpec = PROBLEMS[kind];
  // scrub(): a detail or an extension may quote client input, and client input may be a key.
  const body = scrub({
    type: problemType(kind),
    title: spec.title,
    status: spec.status,
    detail: options.detail ?? spec.title,
    instance,
    request_id: requestId,
    ...options.extensions,
  });
  const headers = new Headers({ "Content-Type": "application/problem+json", "Cache-Control": "no-store" });
  const challenge = challengeFor(kind, options);
  if (challenge) headers.set("WWW-Authenticate", challenge);
  for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
  // A fresh Response does not carry what middleware set on the context, so repeat the id here.
  if (requestId) headers.set("X-Request-Id", requestId);
  return new Response(JSON.stringify(body), { status: spec.status, headers });
}

export function insufficientScope(required: string, keyId: string, source: "cache" | "limiter"): Problem {
  return new Problem("insufficient-scope", {
    detail: `This operation requires the '${required}' scope.`,
    scope: required,
    cause: JSON.stringify({ keyId, required, source }),
  });
}
