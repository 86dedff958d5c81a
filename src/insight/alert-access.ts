// What every alert route shares: finding a rule the caller may see (tenant-scope.ts decides, so
// another tenant's rule is the same 404 as none; a platform rule is seen by platform keys only),
// the webhook URL check, and audit rows written in the same D1 batch as the change.
import type { Context } from "hono";
import { auditRow, type AuditFacts } from "../http/audit-entry.ts";
import { Problem } from "../core/problem.ts";
import { alertRules, type AlertRuleRow } from "../db/alerts-schema.ts";
import { insertWhere } from "../db/insert.ts";
import { auditLog, type AuditRow } from "../db/schema.ts";
import type { AppEnv } from "../http/context.ts";
import { findOwned } from "../http/tenant-scope.ts";
import { webhookUrlProblem } from "./webhook-url.ts";

type Caller = Context<AppEnv>;

export const ruleNotFound = () => new Problem("not-found", { detail: "No such alert rule." });

export function loadRule(c: Caller, id: string): Promise<AlertRuleRow> {
  return findOwned(c, alertRules, id, ruleNotFound);
}

/** 422 naming webhookUrl when the URL may not receive webhooks here (webhook-url.ts). */
export function checkWebhookUrl(c: Caller, url: string): void {
  const message = webhookUrlProblem(url, c.env.ENVIRONMENT);
  if (message === null) return;
  throw new Problem("validation-failed", {
    detail: `webhookUrl ${message}.`,
    extensions: { errors: [{ path: "webhookUrl", message }] },
  });
}

export type AlertAudit = Omit<AuditFacts, "targetType" | "tenantId"> & { rule: Pick<AlertRuleRow, "tenantId"> };

/** The audit row of a change to a rule. A platform rule belongs to no tenant, so its trail is the acting key's tenant's. */
export function alertAuditRow(c: Caller, facts: AlertAudit, now: number): AuditRow {
  const tenantId = facts.rule.tenantId ?? c.get("principal").key.tenantId;
  return auditRow(c, { tenantId, action: facts.action, targetType: "alert", targetId: facts.targetId, details: facts.details }, now);
}

/**
 * A change (one statement) and its audit row in one batch; the audit row lands only if the change
 * touched a row (changes() still refers to it inside the batch's transaction), so a change lost to
 * a concurrent delete leaves no trace. Further statements run after both. Returns the change's
 * row count.
 */
export async function auditedAlertChange(c: Caller, change: D1PreparedStatement, facts: AlertAudit, now: number, after: D1PreparedStatement[] = []): Promise<number> {
  const { d1 } = c.get("stores");
  const [result] = await d1.batch([change, insertWhere(d1, auditLog, alertAuditRow(c, facts, now), { sql: "changes() > 0", params: [] }), ...after]);
  return result!.meta.changes;
}
