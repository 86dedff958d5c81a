// A person's request is served as if by a key made for it: an admin route reads the same
// principal shape whoever calls. The snapshot lives for one request and is never cached or stored;
// its keyId is the operator's id, so it can never name, or be taken for, a real key.
import { eq } from "drizzle-orm";
import type { Stores } from "../db/client.ts";
import { tenants } from "../db/schema.ts";
import { Problem } from "../core/problem.ts";
import type { Operator } from "../people/operator.ts";
import { operatorScopes } from "../people/roles.ts";
import { PLATFORM_SLUG } from "../tenants/plans.ts";
import { findTenant } from "./lookup.ts";
import type { KeySnapshot } from "./snapshot.ts";
import type { Principal } from "./verify.ts";

type Defer = (promise: Promise<unknown>) => void;

// The platform tenant's id never changes once it exists.
let platformTenantId: string | undefined;

async function tenantIdOf(stores: Stores, op: Operator): Promise<string | undefined> {
  if (op.tenantId !== null) return op.tenantId;
  if (platformTenantId === undefined) {
    platformTenantId = (await stores.db.select({ id: tenants.id }).from(tenants).where(eq(tenants.slug, PLATFORM_SLUG)).get())?.id;
  }
  return platformTenantId;
}

export async function operatorPrincipal(stores: Stores, defer: Defer, op: Operator): Promise<Principal> {
  const tenantId = await tenantIdOf(stores, op);
  const tenant = tenantId === undefined ? undefined : await findTenant(stores, defer, tenantId);
  if (!tenant || !tenant.active) {
    throw new Problem("tenant-inactive", { detail: "The tenant this operator belongs to is not active.", cause: JSON.stringify({ operatorId: op.id, tenantId }) });
  }
  const key: KeySnapshot = {
    version: 0,
    hash: "",
    keyId: op.id,
    tenantId: tenant.id,
    environment: "live",
    scopes: operatorScopes(op),
    enabled: true,
    revokedAt: null,
    expiresAt: null,
    secretExpiresAt: null,
    rateLimit: null,
    monthlyQuota: null,
  };
  return { key, tenant, operator: op };
}
