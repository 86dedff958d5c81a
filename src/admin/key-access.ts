// Which keys a caller may manage and what it may grant. Which rows it may see at all is decided
// by http/tenant-scope.ts, like every other admin and jobs read.
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { Context } from "hono";
import { apiKeys, keySecrets, type ApiKeyRow, type KeySecretRow, type TenantRow } from "../db/schema.ts";
import type { AppEnv } from "../http/context.ts";
import { findOwned } from "../http/tenant-scope.ts";
import { Problem } from "../core/problem.ts";
import { isPlatform } from "../keys/scopes.ts";
import { effectiveLimits, rateLimitOf, type RateLimit } from "../tenants/plans.ts";

export const keyNotFound = () => new Problem("not-found", { detail: "No such key." });

/**
 * Powers that reach beyond one tenant: `platform`, `*` and `metrics` (every tenant's traffic in
 * Prometheus form), and in the operator's own tenant `jobs:report`, whose keys report on every
 * tenant's jobs (one ingest origin serves them all).
 */
const OWN_TENANT_ONLY = ["platform", "*", "metrics"];
function crossTenantPowers(scopes: readonly string[], operatorTenant: boolean): string[] {
  return scopes.filter((s) => OWN_TENANT_ONLY.includes(s) || (operatorTenant && s === "jobs:report"));
}

/** Whether `tenantId` is the operator's tenant, as far as the caller can tell (it is its own). */
function isOperatorTenant(c: Context<AppEnv>, tenantId: string): boolean {
  const { key, tenant } = c.get("principal");
  return tenantId === key.tenantId && tenant.operator;
}

/**
 * A key never grants a power it does not hold: cross-tenant powers only by a platform key (or a
 * platform-wide owner: an admin or viewer holds the platform scope to reach every tenant, not to
 * mint or roll keys that would outrank its role), and `platform` and `*` only to keys of its own
 * tenant.
 */
export function checkGrantable(c: Context<AppEnv>, tenantId: string, scopes: readonly string[]): void {
  const { key, operator } = c.get("principal");
  const powers = crossTenantPowers(scopes, isOperatorTenant(c, tenantId));
  if (powers.length === 0) return;
  const ownTenantOnly = powers.some((s) => OWN_TENANT_ONLY.includes(s));
  const mayGrant = isPlatform(key.scopes) && (operator === undefined || operator.role === "owner");
  if (!mayGrant || (ownTenantOnly && tenantId !== key.tenantId)) {
    throw new Problem("insufficient-scope", {
      detail: `Only a platform key or a platform-wide owner may grant ${powers.map((s) => `'${s}'`).join(" and ")}${ownTenantOnly ? ", and only to keys of its own tenant" : " in the operator's tenant"}.`,
      scope: "platform",
    });
  }
}

// The current secret is the one without a deadline (a roll gives every older one a deadline);
// created_at alone cannot tell two secrets created in the same millisecond apart.
const newestFirst = [desc(sql`${keySecrets.expiresAt} IS NULL`), desc(keySecrets.createdAt), desc(keySecrets.hash)];

/**
 * Who may change a key's lifecycle (update, roll, revoke, delete). A key holding a cross-tenant
 * power is managed only by a platform key: a tenant admin must not roll it (and receive its
 * secret), demote, revoke or delete it. And a secret that was rolled away, while its grace period runs, may keep
 * calling the API but not act on its own key: rolling does not contain a leaked secret if the
 * leaked one can roll again and lock the new holder out.
 */
export function ensureManageable(c: Context<AppEnv>, key: ApiKeyRow): void {
  const caller = c.get("principal").key;
  if (key.id === caller.keyId && caller.secretExpiresAt !== null) {
    throw new Problem("rolled-secret", {
      detail: "This secret was rolled and only works until its grace period ends; use the key's new secret (or another admin key) to change the key.",
    });
  }
  if (crossTenantPowers(key.scopes, isOperatorTenant(c, key.tenantId)).length > 0) checkGrantable(c, key.tenantId, key.scopes);
}

/**
 * A tenant's own keys may only tighten its limits; only a platform key may set a key's rate limit
 * or monthly quota above what the tenant's plan and overrides give it.
 */
export function checkLimitsWithinTenant(c: Context<AppEnv>, tenant: TenantRow, requested: KeyLimits): void {
  if (isPlatform(c.get("principal").key.scopes)) return;
  const allowed = effectiveLimits(tenant);
  const over: string[] = [];
  if (requested.rateLimit) {
    if (requested.rateLimit.capacity > allowed.rateLimit.capacity) over.push(`capacity ≤ ${allowed.rateLimit.capacity}`);
    if (requested.rateLimit.refillPerSecond > allowed.rateLimit.refillPerSecond) over.push(`refillPerSecond ≤ ${allowed.rateLimit.refillPerSecond}`);
  }
  if (requested.monthlyQuota != null && allowed.monthlyQuota !== null && requested.monthlyQuota > allowed.monthlyQuota) {
    over.push(`monthlyQuota ≤ ${allowed.monthlyQuota}`);
  }
  if (over.length > 0) {
    throw new Problem("insufficient-scope", {
      detail: `Only a platform key may set a key's limits above its tenant's; this tenant allows ${over.join(", ")}.`,
      scope: "platform",
    });
  }
}

export type KeyLimits = { rateLimit?: RateLimit | null; monthlyQuota?: number | null };

/** A key's own limits as its row stores them (null: the tenant's apply), for the audit trail. */
export function limitsOf(key: Pick<ApiKeyRow, "rateLimitCapacity" | "rateLimitRefillPerSecond" | "monthlyQuota">): Required<KeyLimits> {
  return { rateLimit: rateLimitOf(key.rateLimitCapacity, key.rateLimitRefillPerSecond), monthlyQuota: key.monthlyQuota };
}

/** `current` is null only for a deleted key: its tombstone stays readable, its secrets are gone. */
export type LoadedKey = { key: ApiKeyRow; current: KeySecretRow | null };

/** The key with its newest secret, if the caller may see it. */
export async function loadKey(c: Context<AppEnv>, id: string): Promise<LoadedKey> {
  const { db } = c.get("stores");
  const key = await findOwned(c, apiKeys, id, keyNotFound);
  const current = await db
    .select()
    .from(keySecrets)
    .where(eq(keySecrets.keyId, id))
    .orderBy(...newestFirst)
    .get();
  if (!current && key.deletedAt === null) throw keyNotFound();
  return { key, current: current ?? null };
}

/** Newest secret of each key, for list views. */
export async function currentSecrets(c: Context<AppEnv>, keyIds: string[]): Promise<Map<string, KeySecretRow>> {
  const out = new Map<string, KeySecretRow>();
  if (keyIds.length === 0) return out;
  const rows = await c
    .get("stores")
    .db.select()
    .from(keySecrets)
    .where(and(inArray(keySecrets.keyId, keyIds)))
    .orderBy(...newestFirst)
    .all();
  for (const row of rows) if (!out.has(row.keyId)) out.set(row.keyId, row);
  return out;
}

export function ensureNotRevoked(key: ApiKeyRow): void {
  // A deleted key is revoked as well; the detail says which, the type stays the one clients know.
  if (key.deletedAt !== null) {
    throw new Problem("key-revoked", { detail: "The key is deleted; a deleted key cannot be changed, rolled, revoked or deleted again." });
  }
  if (key.revokedAt !== null) {
    throw new Problem("key-revoked", { detail: "The key is revoked; a revoked key cannot be changed, rolled or revoked again." });
  }
}
