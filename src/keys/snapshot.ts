// The shapes the caches hold: exactly what verification needs, nothing it doesn't.
import { PLATFORM_SLUG } from "../tenants/plans.ts";
import type { ApiKeyRow, KeySecretRow, TenantRow } from "../db/schema.ts";
import type { KeyRules, NetworkRules } from "./access-rules.ts";
import { effectiveLimits, rateLimitOf, type PlanName, type RateLimit } from "../tenants/plans.ts";

export type KeySnapshot = {
  /** api_keys.updated_at: orders this copy against what the key's object knows. */
  version: number;
  hash: string;
  keyId: string;
  tenantId: string;
  environment: "live" | "test";
  scopes: string[];
  enabled: boolean;
  revokedAt: number | null;
  expiresAt: number | null;
  /** Set on a rolled secret: it keeps working until then. */
  secretExpiresAt: number | null;
  rateLimit: RateLimit | null;
  monthlyQuota: number | null;
  /** Resources and networks (absent in copies cached before rules existed: none). */
  rules?: KeyRules;
};

export type TenantSnapshot = {
  id: string;
  active: boolean;
  /** The operator's own tenant (slug "platform"): its service keys may act across tenants. */
  operator: boolean;
  plan: PlanName;
  /** The default bucket of each of its keys. */
  rateLimit: RateLimit;
  /** The bucket its keys share (absent in copies cached before it existed: no shared bucket). */
  tenantRateLimit?: RateLimit;
  monthlyQuota: number | null;
  /** Networks every key of the tenant is held to (absent in older copies: none). */
  network?: NetworkRules;
};

export function keySnapshot(key: ApiKeyRow, secret: KeySecretRow): KeySnapshot {
  return {
    version: key.updatedAt,
    hash: secret.hash,
    keyId: key.id,
    tenantId: key.tenantId,
    environment: key.environment,
    scopes: key.scopes,
    enabled: key.enabled,
    revokedAt: key.revokedAt,
    expiresAt: key.expiresAt,
    secretExpiresAt: secret.expiresAt,
    rateLimit: rateLimitOf(key.rateLimitCapacity, key.rateLimitRefillPerSecond),
    monthlyQuota: key.monthlyQuota,
    rules: rulesOfRow(key),
  };
}

export function tenantSnapshot(t: TenantRow): TenantSnapshot {
  const limits = effectiveLimits(t);
  return {
    id: t.id,
    active: t.active,
    operator: t.slug === PLATFORM_SLUG,
    plan: t.plan,
    rateLimit: limits.rateLimit,
    tenantRateLimit: limits.tenantRateLimit,
    monthlyQuota: limits.monthlyQuota,
    network: { allowedIps: t.allowedIps, deniedIps: t.deniedIps },
  };
}

export function rulesOfRow(key: Pick<ApiKeyRow, "resources" | "allowedIps" | "deniedIps">): KeyRules {
  return { resources: key.resources, allowedIps: key.allowedIps, deniedIps: key.deniedIps };
}
