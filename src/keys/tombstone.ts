// A deleted key is a tombstone: its api_keys row stays (revoked, with deleted_at and deleted_by) for
// the audit trail and its usage, its name is free again (the unique name index covers unrevoked
// keys only), and its secrets' hashes are erased. The admin DELETE and the retention sweep write it
// with the same statements, in one D1 batch with the audit row, so all of it lands or none.
import { insertWhere } from "../db/insert.ts";
import { auditLog, type AuditRow, type KeySecretRow } from "../db/schema.ts";

export type Tombstone = {
  keyId: string;
  now: number;
  /** The deleting key; null when the retention sweep deletes. */
  by: string | null;
  audit: AuditRow;
  /** A further precondition on the key's row, checked in the same statement (the sweep's: dead long enough). */
  only?: { sql: string; params: unknown[] };
};

/** Three statements, in this order; tombstoneOutcome reads their results. */
export function tombstoneStatements(d1: D1Database, t: Tombstone): D1PreparedStatement[] {
  const only = t.only ?? { sql: "1", params: [] };
  return [
    // SQLite evaluates every SET expression against the row as it was, so revoked_by can still
    // tell whether the key had been revoked before this statement.
    d1
      .prepare(
        `UPDATE api_keys SET deleted_at = ?, deleted_by = ?, revoked_by = CASE WHEN revoked_at IS NULL THEN ? ELSE revoked_by END, revoked_at = COALESCE(revoked_at, ?), updated_at = ? WHERE id = ? AND deleted_at IS NULL AND (${only.sql})`,
      )
      .bind(t.now, t.by, t.by, t.now, t.now, t.keyId, ...only.params),
    // changes() still refers to the UPDATE: the loser of a race leaves no audit row.
    insertWhere(d1, auditLog, t.audit, { sql: "changes() > 0", params: [] }),
    // Guarded by the tombstone (changes() now refers to the INSERT): a key the sweep found no
    // longer due, e.g. given a new expiry meanwhile, keeps its secrets.
    d1
      .prepare(
        "DELETE FROM key_secrets WHERE key_id = ? AND EXISTS (SELECT 1 FROM api_keys WHERE id = ? AND deleted_at IS NOT NULL) RETURNING hash, key_id, prefix, hint, created_at, expires_at",
      )
      .bind(t.keyId, t.keyId),
  ];
}

export const TOMBSTONE_STATEMENTS = 3;

type ErasedRow = { hash: string; key_id: string; prefix: string; hint: string; created_at: number; expires_at: number | null };

/** Whether this batch made the tombstone (false: already deleted, or no longer due), and the secrets it erased. */
export function tombstoneOutcome(results: D1Result[], at = 0): { made: boolean; erased: KeySecretRow[] } {
  const made = results[at]!.meta.changes > 0;
  const erased = ((results[at + 2]!.results ?? []) as ErasedRow[]).map((r) => ({
    hash: r.hash,
    keyId: r.key_id,
    prefix: r.prefix,
    hint: r.hint,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
  }));
  return { made, erased };
}
