export const SCOPES = ["jobs:read", "jobs:write", "jobs:report", "query", "admin", "platform", "*"] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * What a route asks of its caller. "public" needs no key; "authenticated" needs any valid key;
 * anything else names a scope. Every route declares one (the OpenAPI extension x-keygate-scope).
 */
export type RouteAccess = "public" | "authenticated" | Scope;

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** `*` grants everything; `platform` is a superset of `admin` (it manages every tenant's keys). */
export function grants(granted: readonly string[], required: Scope): boolean {
  if (granted.includes("*") || granted.includes(required)) return true;
  return required === "admin" && granted.includes("platform");
}

export function isPlatform(granted: readonly string[]): boolean {
  return granted.includes("*") || granted.includes("platform");
}

export const PERMISSION_SETS = {
  read_only: {
    description: "Read job state and run queries.",
    scopes: ["jobs:read", "query"],
  },
  ingest_pipeline: {
    description: "Submit ingest jobs and read their state.",
    scopes: ["jobs:write", "jobs:read"],
  },
  origin_reporter: {
    description: "For origin services: report job progress and results.",
    scopes: ["jobs:report"],
  },
  full_access: {
    description: "Everything a tenant can do, including managing its own keys.",
    scopes: ["jobs:read", "jobs:write", "query", "admin"],
  },
} as const satisfies Record<string, { description: string; scopes: readonly Scope[] }>;

export type PermissionSetName = keyof typeof PERMISSION_SETS;
