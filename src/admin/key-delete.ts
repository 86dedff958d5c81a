// Delete: what revocation does, and then the key's secrets are erased. The row stays as a tombstone
// (keys/tombstone.ts), readable with GET and listed with ?deleted=true, so the audit trail and
// the usage history keep pointing at something.
import { eq } from "drizzle-orm";
import { log } from "../core/log.ts";
import { keySecrets } from "../db/schema.ts";
import { defineRoute, endpoint, type Endpoint, jsonContent } from "../http/route.ts";
import { IdParam, KeyId } from "../http/schemas.ts";
import { tombstoneOutcome, tombstoneStatements } from "../keys/tombstone.ts";
import { auditRow } from "../http/audit-entry.ts";
import { ensureManageable, ensureNotRevoked, loadKey } from "./key-access.ts";
import { publishKey } from "./publish.ts";
import { KeySchema, keyView } from "./schemas.ts";

const deleteKey = defineRoute("admin", {
  operationId: "deleteKey",
  method: "delete",
  path: "/v1/keys/{id}",
  tags: ["Keys"],
  summary: "Delete a key: revoke it and erase its secrets",
  description:
    "The key stops working at once, as with revoke, and its secrets' hashes are erased. Its record stays as a tombstone (`deletedAt`, `deletedBy`, `revokedAt`; `start` and `hint` are null) for the audit trail, and its usage stays readable. Its name is free again, and it no longer counts toward the plan's key limit. A deleted key cannot be updated, rolled, revoked or deleted again (409). The same manage rules as revoke apply.",
  request: { params: IdParam(KeyId) },
  responses: {
    200: { description: "The key's tombstone", ...jsonContent(KeySchema) },
    404: { description: "No such key" },
    409: { description: "Already deleted" },
  },
});

export const keyDeleteRoutes: Endpoint[] = [
  endpoint(deleteKey, async (c) => {
    const { id } = c.req.valid("param");
    const stores = c.get("stores");
    const defer = c.get("defer");
    const republish = () => publishKey(stores, defer, id).catch((err: unknown) => log("error", "key.republish_failed", { keyId: id, error: String(err) }));
    const { key } = await loadKey(c, id);
    if (key.deletedAt !== null) {
      // As with revoke: a retried delete (perhaps after a failed push) pushes to the key's object
      // again before it says 409.
      await republish();
      ensureNotRevoked(key);
    }
    ensureManageable(c, key);
    // Read before the batch erases them: the audit row names them by start and hint, and every
    // cached copy of each is overwritten below.
    const secrets = await stores.db.select().from(keySecrets).where(eq(keySecrets.keyId, id)).all();
    const now = Date.now();
    const caller = c.get("principal").key.keyId;
    const audit = auditRow(
      c,
      {
        tenantId: key.tenantId,
        action: "key.delete",
        targetType: "key",
        targetId: id,
        details: { reason: "requested", wasRevoked: key.revokedAt !== null, secrets: secrets.map((s) => ({ start: s.prefix, hint: s.hint })) },
      },
      now,
    );
    const results = await stores.d1.batch(tombstoneStatements(stores.d1, { keyId: id, now, by: caller, audit }));
    const { made, erased } = tombstoneOutcome(results);
    if (!made) {
      // A concurrent delete won; it publishes, and so does this.
      await republish();
      ensureNotRevoked({ ...key, deletedAt: now });
    }
    const byHash = new Map([...secrets, ...erased].map((s) => [s.hash, s]));
    await publishKey(stores, defer, id, [...byHash.values()]);
    const tombstone = {
      ...key,
      deletedAt: now,
      deletedBy: caller,
      revokedAt: key.revokedAt ?? now,
      revokedBy: key.revokedAt === null ? caller : key.revokedBy,
      updatedAt: now,
    };
    return c.json(keyView(tombstone, null), 200);
  }),
];
