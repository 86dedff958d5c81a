// Audit rows are written in the same D1 batch as the change they describe: both land or neither.
import type { Context } from "hono";
import type { Database } from "../db/client.ts";
import { newId } from "../db/ids.ts";
import { auditLog, type AuditRow } from "../db/schema.ts";
import type { AppEnv } from "../http/context.ts";
import { scrub } from "../http/log.ts";

export type AuditFacts = {
  tenantId: string;
  action: string;
  targetType: "tenant" | "key";
  targetId: string;
  details?: Record<string, unknown>;
};

export function auditRow(c: Context<AppEnv>, facts: AuditFacts, now: number): AuditRow {
  const { key } = c.get("principal");
  return {
    id: newId("aud"),
    tenantId: facts.tenantId,
    actorKeyId: key.keyId,
    actorTenantId: key.tenantId,
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
