// The rows a new key is made of: the key itself and a secret. Creation, roll and bootstrap build
// them here, so the defaults of a new key (enabled, never used, nothing revoked) are written once;
// the columns and their encodings are the schema's (db/schema.ts, db/insert.ts).
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
