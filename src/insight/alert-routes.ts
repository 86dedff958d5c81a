// Alert rules: create, list, read, update, delete, rotate the signing secret, and the rule's
// events. Admin scope; a tenant admin manages its own tenant's rules, a platform key any tenant's
// and the platform rules that watch all traffic. Evaluation and delivery: alert-run.ts.
import { eq } from "drizzle-orm";
import type { Context } from "hono";
import { Problem } from "../core/problem.ts";
import { alertEvents, alertRules, type AlertRuleRow } from "../db/alerts-schema.ts";
import { insertWhere } from "../db/insert.ts";
import { auditLog, tenants } from "../db/schema.ts";
import type { AppEnv } from "../http/context.ts";
import { defineRoute, endpoint, jsonContent, type Endpoint } from "../http/route.ts";
import { IdParam, PaginationQuery } from "../http/schemas.ts";
import { actingTenant, pageOf, pageOwned } from "../http/tenant-scope.ts";
import { isPlatform } from "../keys/scopes.ts";
import { alertAuditRow, auditedAlertChange, checkWebhookUrl, loadRule } from "./alert-access.ts";
import { newId } from "../db/ids.ts";
import {
  AlertEventList,
  AlertId,
  AlertList,
  AlertListQuery,
  AlertSchema,
  AlertWithSecret,
  alertView,
  CreateAlertBody,
  eventView,
  UpdateAlertBody,
} from "./alert-schemas.ts";
import { newWebhookSecret } from "./webhook-signing.ts";
import { webhookOrigin } from "./webhook-url.ts";

/** Per tenant, and for platform rules together; evaluation cost grows with the number of rules. */
export const MAX_RULES_PER_TENANT = 100;

const TAGS = ["Alerts"];
const params = { params: IdParam(AlertId) };
const notFound = { 404: { description: "No such alert rule (or another tenant's)" } };

const createAlert = defineRoute("admin", {
  operationId: "createAlert",
  method: "post",
  path: "/v1/alerts",
  tags: TAGS,
  summary: "Create an alert rule",
  description:
    "Returns the webhook signing secret once, in `secret`. A tenant admin's rules watch its own tenant's traffic; a platform key may name any tenant, or none for a platform rule over all traffic.",
  request: { body: { required: true, ...jsonContent(CreateAlertBody) } },
  responses: {
    201: { description: "Created; the body holds the secret, shown this once", ...jsonContent(AlertWithSecret) },
    404: { description: "No such tenant" },
    409: { description: `The tenant already has ${MAX_RULES_PER_TENANT} rules` },
    422: { description: "Invalid body, e.g. a webhook URL that is not https or holds credentials" },
  },
});

const listAlerts = defineRoute("admin", {
  operationId: "listAlerts",
  method: "get",
  path: "/v1/alerts",
  tags: TAGS,
  summary: "List alert rules, newest first (never their secrets)",
  request: { query: AlertListQuery },
  responses: { 200: { description: "A page of rules", ...jsonContent(AlertList) } },
});

const getAlert = defineRoute("admin", {
  operationId: "getAlert",
  method: "get",
  path: "/v1/alerts/{id}",
  tags: TAGS,
  summary: "Get an alert rule (never its secret)",
  request: params,
  responses: { 200: { description: "The rule", ...jsonContent(AlertSchema) }, ...notFound },
});

const updateAlert = defineRoute("admin", {
  operationId: "updateAlert",
  method: "patch",
  path: "/v1/alerts/{id}",
  tags: TAGS,
  summary: "Change an alert rule",
  description: "The rule keeps its state (ok or firing); the next evaluation compares the changed rule with it.",
  request: { ...params, body: { required: true, ...jsonContent(UpdateAlertBody) } },
  responses: { 200: { description: "The updated rule", ...jsonContent(AlertSchema) }, ...notFound, 422: { description: "Invalid body" } },
});

const deleteAlert = defineRoute("admin", {
  operationId: "deleteAlert",
  method: "delete",
  path: "/v1/alerts/{id}",
  tags: TAGS,
  summary: "Delete an alert rule and its events",
  description: "Pending deliveries are dropped. The audit trail keeps the rule's creation, changes and deletion.",
  request: params,
  responses: { 200: { description: "The rule as it was", ...jsonContent(AlertSchema) }, ...notFound },
});

const rotateSecret = defineRoute("admin", {
  operationId: "rotateAlertSecret",
  method: "post",
  path: "/v1/alerts/{id}/rotate-secret",
  tags: TAGS,
  summary: "Replace a rule's webhook signing secret",
  description: "Returns the new secret once. Every delivery from now on, retries of earlier events included, is signed with it; the old one stops at once.",
  request: params,
  responses: { 200: { description: "The rule with its new secret, shown this once", ...jsonContent(AlertWithSecret) }, ...notFound },
});

const listEvents = defineRoute("admin", {
  operationId: "listAlertEvents",
  method: "get",
  path: "/v1/alerts/{id}/events",
  tags: TAGS,
  summary: "A rule's history: each episode's firing and resolved events and their delivery, newest first",
  request: { ...params, query: PaginationQuery("msg") },
  responses: { 200: { description: "A page of events", ...jsonContent(AlertEventList) }, ...notFound },
});

/** Whose traffic a new rule watches: the named tenant, else the caller's, else (platform keys) all. */
function ruleTenant(c: Context<AppEnv>, requested: string | undefined): string | null {
  const { key } = c.get("principal");
  if (requested === undefined) return isPlatform(key.scopes) ? null : key.tenantId;
  return actingTenant(c, requested);
}

/**
 * What an audit row says about a rule: the fields named here and nothing else (never the secret),
 * the webhook by its origin only (paths and queries of webhook URLs carry tokens).
 */
function auditFields(f: Partial<Pick<AlertRuleRow, "name" | "metric" | "threshold" | "windowMinutes" | "webhookUrl" | "enabled">>) {
  const picked = { name: f.name, metric: f.metric, threshold: f.threshold, windowMinutes: f.windowMinutes, webhook: f.webhookUrl === undefined ? undefined : webhookOrigin(f.webhookUrl), enabled: f.enabled };
  return Object.fromEntries(Object.entries(picked).filter(([, v]) => v !== undefined));
}

export const alertRoutes: Endpoint[] = [
  endpoint(createAlert, async (c) => {
    const body = c.req.valid("json");
    checkWebhookUrl(c, body.webhookUrl);
    const tenantId = ruleTenant(c, body.tenantId);
    const { db, d1 } = c.get("stores");
    if (tenantId !== null && tenantId !== c.get("principal").key.tenantId) {
      const found = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId)).get();
      if (!found) throw new Problem("not-found", { detail: "No such tenant." });
    }
    const now = Date.now();
    const secret = newWebhookSecret();
    const rule: AlertRuleRow = {
      id: newId("alr"),
      tenantId,
      name: body.name,
      metric: body.metric,
      threshold: body.threshold,
      windowMinutes: body.windowMinutes,
      webhookUrl: body.webhookUrl,
      secret,
      enabled: body.enabled,
      state: "ok",
      lastValue: null,
      lastEvaluatedAt: null,
      createdAt: now,
      createdBy: c.get("principal").key.keyId,
      updatedAt: now,
    };
    const details = { ...auditFields(rule), tenantId };
    const audit = alertAuditRow(c, { action: "alert.create", targetId: rule.id, details, rule }, now);
    // The limit is checked inside the INSERT, so racing creates cannot pass it together.
    const underLimit = { sql: "(SELECT count(*) FROM alert_rules WHERE tenant_id IS ?) < ?", params: [tenantId, MAX_RULES_PER_TENANT] };
    const [inserted] = await d1.batch([
      insertWhere(d1, alertRules, rule, underLimit),
      insertWhere(d1, auditLog, audit, { sql: "EXISTS (SELECT 1 FROM alert_rules WHERE id = ?)", params: [rule.id] }),
    ]);
    if (inserted!.meta.changes === 0) {
      throw new Problem("conflict", { detail: `${tenantId === null ? "There are already" : "The tenant already has"} ${MAX_RULES_PER_TENANT} ${tenantId === null ? "platform " : ""}alert rules; delete one first.` });
    }
    return c.json({ ...alertView(rule), secret }, 201);
  }),

  endpoint(listAlerts, async (c) => {
    const q = c.req.valid("query");
    const { rows, nextCursor } = await pageOwned(c, alertRules, q, [q.state ? eq(alertRules.state, q.state) : undefined]);
    return c.json({ data: rows.map(alertView), nextCursor }, 200);
  }),

  endpoint(getAlert, async (c) => c.json(alertView(await loadRule(c, c.req.valid("param").id)), 200)),

  endpoint(updateAlert, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const rule = await loadRule(c, id);
    if (body.webhookUrl !== undefined) checkWebhookUrl(c, body.webhookUrl);
    const now = Date.now();
    const { db, d1 } = c.get("stores");
    const update = db.update(alertRules).set({ ...body, updatedAt: now }).where(eq(alertRules.id, id)).toSQL();
    const changed = await auditedAlertChange(c, d1.prepare(update.sql).bind(...update.params), { action: "alert.update", targetId: id, details: auditFields(body), rule }, now);
    if (changed === 0) throw new Problem("not-found", { detail: "No such alert rule." }); // deleted meanwhile
    return c.json(alertView({ ...rule, ...body, updatedAt: now }), 200);
  }),

  endpoint(deleteAlert, async (c) => {
    const { id } = c.req.valid("param");
    const rule = await loadRule(c, id);
    const { d1 } = c.get("stores");
    const now = Date.now();
    const changed = await auditedAlertChange(
      c,
      d1.prepare("DELETE FROM alert_rules WHERE id = ?").bind(id),
      { action: "alert.delete", targetId: id, details: { name: rule.name, metric: rule.metric, state: rule.state }, rule },
      now,
      [d1.prepare("DELETE FROM alert_events WHERE rule_id = ?").bind(id)],
    );
    if (changed === 0) throw new Problem("not-found", { detail: "No such alert rule." });
    return c.json(alertView(rule), 200);
  }),

  endpoint(rotateSecret, async (c) => {
    const { id } = c.req.valid("param");
    const rule = await loadRule(c, id);
    const { d1 } = c.get("stores");
    const now = Date.now();
    const secret = newWebhookSecret();
    const changed = await auditedAlertChange(
      c,
      d1.prepare("UPDATE alert_rules SET secret = ?, updated_at = ? WHERE id = ?").bind(secret, now, id),
      { action: "alert.rotate_secret", targetId: id, details: { name: rule.name }, rule },
      now,
    );
    if (changed === 0) throw new Problem("not-found", { detail: "No such alert rule." });
    return c.json({ ...alertView({ ...rule, updatedAt: now }), secret }, 200);
  }),

  endpoint(listEvents, async (c) => {
    const { id } = c.req.valid("param");
    const rule = await loadRule(c, id);
    const { rows, nextCursor } = await pageOf(c, alertEvents, c.req.valid("query"), [eq(alertEvents.ruleId, rule.id)]);
    return c.json({ data: rows.map(eventView), nextCursor }, 200);
  }),
];
