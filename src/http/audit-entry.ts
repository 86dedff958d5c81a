// Audit rows are written in the same D1 batch as the change they describe: both land or neither.
import type { Context } from "hono";
import type { Database } from "../db/client.ts";
import { newId } from "../db/ids.ts";
import { insertWhere } from "../db/insert.ts";
import { auditLog, type AuditRow } from "../db/schema.ts";
import type { AppEnv } from "./context.ts";
import { scrub } from "../core/redact.ts";

export type AuditFacts = {
  tenantId: string;
  action: string;
  targetType: AuditRow["targetType"];
  targetId: string;
  details?: Record<string, unknown>;
};

export function auditRow(c: Context<AppEnv>, facts: AuditFacts, now: number): AuditRow {
  const { key, operator } = c.get("principal");
  return {
    id: newId("aud"),
    tenantId: facts.tenantId,
    // A person is named by address; the id of the key snapshot made for them names no key.
    actorKeyId: operator ? null : key.keyId,
    actorTenantId: key.tenantId,
    actorEmail: operator?.email ?? null,
    action: facts.action,
    targetType: facts.targetType,
    targetId: facts.targetId,
    ip: c.req.header("cf-connecting-ip") ?? null,
    requestId: c.get("requestId"),
    // Details hold field names and new values, never secrets; scrub is the belt to those braces.
    details: facts.details ? (scrub(facts.details) as Record<string, unknown>) : null,
    at: now,
  };
}

export function auditInsert(c: Context<AppEnv>, db: Database, facts: AuditFacts, now: number) {
  return db.insert(auditLog).values(auditRow(c, facts, now));
}

/**
 * A guarded change (an UPDATE whose WHERE states its precondition) and its audit row in one D1
 * batch. The row is written only if the change touched a row: SQLite's changes() still refers to
 * the UPDATE when the INSERT runs, as a batch is one transaction on one connection. So the loser
 * of a race leaves no audit trace. Returns the number of rows the change touched.
 */
export async function auditedChange(
  c: Context<AppEnv>,
  change: { sql: string; params: unknown[] },
  facts: AuditFacts,
  now: number,
): Promise<number> {
  const { d1 } = c.get("stores");
  const [result] = await d1.batch([
    d1.prepare(change.sql).bind(...change.params),
    insertWhere(d1, auditLog, auditRow(c, facts, now), { sql: "changes() > 0", params: [] }),
  ]);
  return result!.meta.changes;
}
