import type { Resources } from "./access-rules.ts";

export const SCOPES = ["jobs:read", "jobs:write", "jobs:report", "query", "realtime", "mcp", "admin", "metrics", "platform", "*"] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * What a route asks of its caller. "public" needs no key; "authenticated" needs any valid key;
 * anything else names a scope. Every route declares one (the OpenAPI extension x-keygate-scope).
 */
export type RouteAccess = "public" | "authenticated" | Scope;

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/**
 * What `platform` also grants: `admin` (it manages every tenant's keys) and `jobs:read` (it reads
 * every tenant's jobs, as it reads their keys, audit and usage). Not `jobs:write`, `jobs:report` or
 * `query`: acting on a tenant's data or an origin's behalf takes a key made for that.
 */
const PLATFORM_GRANTS: readonly Scope[] = ["admin", "jobs:read", "metrics"];

/** `*` grants everything; `platform` grants itself and PLATFORM_GRANTS. */
export function grants(granted: readonly string[], required: Scope): boolean {
  if (granted.includes("*") || granted.includes(required)) return true;
  return PLATFORM_GRANTS.includes(required) && granted.includes("platform");
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
} as const satisfies Record<string, PermissionSet>;

/** `resources`: what a key made from the set may touch unless its creator says otherwise. */
type PermissionSet = { description: string; scopes: readonly Scope[]; resources?: Readonly<Record<string, readonly string[]>> };

export type PermissionSetName = keyof typeof PERMISSION_SETS;

/** The set's resources as a fresh map for a new key's row, or null when it restricts none. */
export function permissionSetResources(name: PermissionSetName): Resources | null {
  const set: PermissionSet = PERMISSION_SETS[name];
  return set.resources ? Object.fromEntries(Object.entries(set.resources).map(([type, ids]) => [type, [...ids]])) : null;
}
