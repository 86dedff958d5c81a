// Who is looking at the console, from GET /v1/auth/me: what to show them and which controls to
// render. Only presentation: every refusal is still the API's (a hidden button is not a permission).
import { grants, isPlatform } from "../keys/scopes.ts";
import type { Me } from "./types.ts";

export type Viewer = {
  /** The key's name or the person's email. */
  who: string;
  kind: "key" | "operator";
  /** "platform key", "admin key", or the operator's role. */
  role: string;
  /** The caller's own tenant (for a platform-wide operator: the tenant /v1/auth/me gives, if any). */
  tenantId: string | null;
  tenantName: string | null;
  /** Sees every tenant: a platform key, or an operator with no tenant. */
  platform: boolean;
  /** Anything but a viewer. */
  canWrite: boolean;
  /** Create and change tenants: platform keys and platform-wide owners. */
  canManageTenants: boolean;
  /** See the operators (platform scope): platform keys and platform-wide operators. */
  canSeeOperators: boolean;
  /** Add, change and remove operators: platform keys and platform-wide owners. */
  canManageOperators: boolean;
  /** Cancel jobs: a key with jobs:write, or an operator who may write. */
  canCancelJobs: boolean;
  /** Jobs are readable (jobs:read); operators always try. */
  canReadJobs: boolean;
  /** The session's CSRF token, for the client scripts' writes (absent under Access). */
  csrf: string | null;
  /** How this person signs out: end the console session, or Access's own logout. */
  signOut: "session" | "access";
};

export function viewerOf(me: Me, session: { csrf: string } | undefined): Viewer {
  const common = {
    tenantId: me.tenant?.id ?? null,
    tenantName: me.tenant?.name ?? null,
    csrf: session?.csrf ?? null,
    signOut: session ? ("session" as const) : ("access" as const),
  };
  if (me.operator) {
    const { email, role, tenantId } = me.operator;
    const platform = tenantId === null;
    const canWrite = role !== "viewer";
    return {
      ...common,
      who: email,
      kind: "operator",
      role,
      platform,
      canWrite,
      canManageTenants: platform && role === "owner",
      canSeeOperators: platform,
      canManageOperators: platform && role === "owner",
      canCancelJobs: canWrite,
      canReadJobs: true,
    };
  }
  const scopes = me.key?.scopes ?? [];
  const platform = isPlatform(scopes);
  return {
    ...common,
    who: me.key?.name ?? "unknown key",
    kind: "key",
    role: platform ? "platform key" : "admin key",
    platform,
    canWrite: true,
    canManageTenants: platform,
    canSeeOperators: platform,
    canManageOperators: platform,
    canCancelJobs: grants(scopes, "jobs:write"),
    canReadJobs: grants(scopes, "jobs:read"),
  };
}
