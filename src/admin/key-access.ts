// Which keys a caller may manage and what it may grant. Which rows it may see at all is decided
// by http/tenant-scope.ts, like every other admin and jobs read.
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { Context } from "hono";
import { apiKeys, keySecrets, type ApiKeyRow, type KeySecretRow } from "../db/schema.ts";
import type { AppEnv } from "../http/context.ts";
import { findOwned } from "../http/tenant-scope.ts";
import { Problem } from "../core/problem.ts";
import { isPlatform } from "../keys/scopes.ts";

export const keyNotFound = () => new Problem("not-found", { detail: "No such key." });

/** Scopes that reach beyond one tenant: only a platform key may grant them, and only in its own tenant. */
export function checkGrantable(c: Context<AppEnv>, tenantId: string, scopes: readonly string[]): void {
  const { key } = c.get("principal");
  const crossTenant = scopes.filter((s) => s === "platform" || s === "*");
  if (crossTenant.length === 0) return;
  if (!isPlatform(key.scopes) || tenantId !== key.tenantId) {
    throw new Problem("insufficient-scope", {
      detail: `Only a platform key may grant ${crossTenant.map((s) => `'${s}'`).join(" and ")}, and only to keys of its own tenant.`,
      scope: "platform",
    });
  }
}

// The current secret is the one without a deadline (a roll gives every older one a deadline);
// created_at alone cannot tell two secrets created in the same millisecond apart.
const newestFirst = [desc(sql`${keySecrets.expiresAt} IS NULL`), desc(keySecrets.createdAt), desc(keySecrets.hash)];

/**
 * A key that reaches beyond its tenant (platform or *) is managed only by a platform key: a tenant
 * admin in the same tenant must not roll it (and receive its secret), demote or revoke it.
 */
export function ensureManageable(c: Context<AppEnv>, key: ApiKeyRow): void {
  if (!key.scopes.some((s) => s === "platform" || s === "*")) return;
  checkGrantable(c, key.tenantId, key.scopes);
}

export type LoadedKey = { key: ApiKeyRow; current: KeySecretRow };

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
  if (!current) throw keyNotFound();
  return { key, current };
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
  if (key.revokedAt !== null) {
    throw new Problem("key-revoked", { detail: "The key is revoked; a revoked key cannot be changed, rolled or revoked again." });
  }
}
