// What an operator's role lets it do. Scopes make every admin route treat an operator like the
// key it stands in for (a platform-wide operator like a platform key, a tenant's like that tenant's
// admin key); the role then narrows what it may change.
import type { Operator, Role } from "./operator.ts";

/** Methods that change nothing: what every role may send, and what needs no CSRF defence. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

/** The scopes of the key snapshot a request by this operator is served with. */
export function operatorScopes(op: Pick<Operator, "role" | "tenantId">): string[] {
  const scopes = ["admin", "jobs:read"];
  // Cancelling a job takes jobs:write; viewers change nothing anyway.
  if (op.role !== "viewer") scopes.push("jobs:write");
  if (op.tenantId === null) scopes.push("platform", "metrics");
  return scopes;
}

/**
 * Why this role may not send this request, or null when it may. Viewers read only; admins run
 * keys, jobs, alerts and usage but not tenants or operators; owners do everything in their reach.
 */
export function roleRefusal(role: Role, method: string, path: string): string | null {
  if (SAFE_METHODS.has(method)) return null;
  if (role === "viewer") return "Viewers can read but not change anything.";
  if (role === "admin" && (under(path, "/v1/operators") || under(path, "/v1/tenants"))) {
    return "Admins manage keys, jobs, alerts and usage; tenants and operators take an owner.";
  }
  return null;
}

const under = (path: string, prefix: string) => path === prefix || path.startsWith(prefix + "/");
