// The first platform key, created straight in D1 (there is no key yet to call the API with).
// Returns plain SQL so the CLI can run it through `wrangler d1 execute` against the local or the
// remote database, and tests can run it against the test D1.
import { newId } from "../db/ids.ts";
import { displayParts, generateKey } from "../keys/format.ts";
import { hashKey } from "../keys/hash.ts";
import { PLATFORM_SLUG } from "../tenants/plans.ts";

export { PLATFORM_SLUG };

const lit = (v: string | number | null): string =>
  v === null ? "NULL" : typeof v === "number" ? String(v) : `'${v.replace(/'/g, "''")}'`;

export type Bootstrap = { key: string; keyId: string; statements: string[] };

/**
 * A key of the platform tenant (created if missing). By default the platform key itself; `scopes`
 * makes a service key instead, e.g. the demo origin's ["jobs:report"].
 */
export async function bootstrapStatements(
  opts: { name?: string; now?: number; scopes?: string[]; description?: string } = {},
): Promise<Bootstrap> {
  const now = opts.now ?? Date.now();
  const key = generateKey("live");
  const hash = await hashKey(key);
  const { prefix, hint } = displayParts(key);
  const keyId = newId("key");
  const tenantId = newId("ten");
  const name = opts.name ?? `bootstrap-${new Date(now).toISOString()}`;
  const platformTenant = `(SELECT id FROM tenants WHERE slug = ${lit(PLATFORM_SLUG)})`;
  const statements = [
    // The platform tenant is created once; later bootstraps add keys to it.
    `INSERT INTO tenants (id, name, slug, plan, active, created_at, updated_at)
     VALUES (${lit(tenantId)}, 'Platform', ${lit(PLATFORM_SLUG)}, 'enterprise', 1, ${now}, ${now})
     ON CONFLICT(slug) DO NOTHING`,
    `INSERT INTO api_keys (id, tenant_id, name, description, environment, scopes, enabled, created_at, created_by, updated_at)
     VALUES (${lit(keyId)}, ${platformTenant}, ${lit(name)}, ${lit(opts.description ?? "Created by keygate bootstrap")}, 'live',
       ${lit(JSON.stringify(opts.scopes ?? ["platform"]))}, 1, ${now}, 'bootstrap', ${now})`,
    `INSERT INTO key_secrets (hash, key_id, prefix, hint, created_at)
     VALUES (${lit(hash)}, ${lit(keyId)}, ${lit(prefix)}, ${lit(hint)}, ${now})`,
    `INSERT INTO audit_log (id, tenant_id, actor_key_id, actor_tenant_id, action, target_type, target_id, details, at)
     VALUES (${lit(newId("aud"))}, ${platformTenant}, NULL, NULL, 'key.bootstrap', 'key', ${lit(keyId)}, ${lit(JSON.stringify({ prefix, hint }))}, ${now})`,
  ];
  return { key, keyId, statements };
}
