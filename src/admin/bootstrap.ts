// The first platform key, created straight in D1 (there is no key yet to call the API with).
// Returns plain SQL so the CLI can run it through `wrangler d1 execute` against the local or the
// remote database, and tests can run it against the test D1. The rows are the same as the API's.
import { newId } from "../db/ids.ts";
import { insertText } from "../db/insert.ts";
import { apiKeys, auditLog, keySecrets, tenants } from "../db/schema.ts";
import { mintSecret } from "../keys/mint.ts";
import { PLATFORM_SLUG } from "../tenants/plans.ts";
import { newKeyRow, secretRow } from "./key-rows.ts";

export { PLATFORM_SLUG };

export type Bootstrap = { key: string; keyId: string; statements: string[] };

/**
 * A key of the platform tenant (created if missing). By default the platform key itself; `scopes`
 * makes a service key instead, e.g. the demo origin's ["jobs:report"].
 */
export async function bootstrapStatements(
  opts: { name?: string; now?: number; scopes?: string[]; description?: string } = {},
): Promise<Bootstrap> {
  const now = opts.now ?? Date.now();
  const minted = await mintSecret("live");
  const keyId = newId("key");
  // The platform tenant's id, whether this run creates it or an earlier one did.
  const platformTenant = { tenantId: `(SELECT id FROM tenants WHERE slug = '${PLATFORM_SLUG}')` };
  const key = newKeyRow(
    {
      id: keyId,
      tenantId: "",
      name: opts.name ?? `bootstrap-${new Date(now).toISOString()}`,
      description: opts.description ?? "Created by keygate bootstrap",
      environment: "live",
      scopes: opts.scopes ?? ["platform"],
      createdBy: "bootstrap",
    },
    now,
  );
  const statements = [
    // The platform tenant is created once; later bootstraps add keys to it.
    insertText(
      tenants,
      { id: newId("ten"), name: "Platform", slug: PLATFORM_SLUG, plan: "enterprise", active: true, createdAt: now, updatedAt: now },
      {},
      "ON CONFLICT(slug) DO NOTHING",
    ),
    insertText(apiKeys, key, platformTenant),
    insertText(keySecrets, secretRow(keyId, minted, now)),
    insertText(
      auditLog,
      { id: newId("aud"), tenantId: "", actorKeyId: null, actorTenantId: null, action: "key.bootstrap", targetType: "key", targetId: keyId, details: { prefix: minted.prefix, hint: minted.hint }, at: now },
      platformTenant,
    ),
  ];
  return { key: minted.secret, keyId, statements };
}
