// The rows a new key is made of: the key itself and a secret. Creation, roll and bootstrap build
// them here, so the defaults of a new key (enabled, never used, nothing revoked) are written once;
// the columns and their encodings are the schema's (db/schema.ts, db/insert.ts). And which keys
// count toward a plan's limit.
import type { ApiKeyRow, KeySecretRow } from "../db/schema.ts";
import type { MintedSecret } from "../keys/mint.ts";

type Given = Pick<ApiKeyRow, "id" | "tenantId" | "name" | "environment" | "scopes" | "createdBy"> & Partial<ApiKeyRow>;

export function newKeyRow(given: Given, now: number): ApiKeyRow {
  return {
    description: null,
    rateLimitCapacity: null,
    rateLimitRefillPerSecond: null,
    monthlyQuota: null,
    expiresAt: null,
    resources: null,
    allowedIps: null,
    deniedIps: null,
    enabled: true,
    revokedAt: null,
    revokedBy: null,
    revokeReason: null,
    deletedAt: null,
    deletedBy: null,
    createdAt: now,
    updatedAt: now,
    lastUsedAt: null,
    totalRequests: 0,
    ...given,
  };
}

/** A secret's stored row: its hash and display parts, never the secret. */
export function secretRow(keyId: string, minted: MintedSecret, now: number): KeySecretRow {
  return { hash: minted.hash, keyId, prefix: minted.prefix, hint: minted.hint, createdAt: now, expiresAt: null };
}

/**
 * Holds while the tenant has fewer than `maxKeys` keys that can still work: revoked and deleted
 * keys never will, an expired one only if given a new expiry (which this same check guards).
 * Evaluated inside the statement that adds a key, so two racing requests cannot both pass.
 */
export function underKeyLimit(tenantId: string, now: number, maxKeys: number): { sql: string; params: unknown[] } {
  return {
    sql: "(SELECT count(*) FROM api_keys AS counted WHERE counted.tenant_id = ? AND counted.revoked_at IS NULL AND (counted.expires_at IS NULL OR counted.expires_at > ?)) < ?",
    params: [tenantId, now, maxKeys],
  };
}
