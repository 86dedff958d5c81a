// Alert rules and what they did. An event is written once per episode edge (firing, resolved) and
// then delivered, with retries, as the same Standard Webhooks message: its id is the webhook-id.
import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const alertRules = sqliteTable(
  "alert_rules",
  {
    id: text("id").primaryKey(),
    /** null: a platform rule over every tenant's traffic. */
    tenantId: text("tenant_id"),
    name: text("name").notNull(),
    metric: text("metric", { enum: ["auth_failures", "rate_limited", "requests", "error_rate", "cost_usd", "usage_anomaly"] }).notNull(),
    threshold: real("threshold").notNull(),
    windowMinutes: integer("window_minutes").notNull(),
    webhookUrl: text("webhook_url").notNull(),
    /** whsec_<base64>: needed in the clear to sign each delivery; shown to the caller once. */
    secret: text("secret").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    state: text("state", { enum: ["ok", "firing"] }).notNull().default("ok"),
    lastValue: real("last_value"),
    lastEvaluatedAt: integer("last_evaluated_at"),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("alert_rules_tenant_idx").on(t.tenantId, t.id)],
);

export const alertEvents = sqliteTable(
  "alert_events",
  {
    /** msg_…: also the webhook-id of every delivery attempt. */
    id: text("id").primaryKey(),
    ruleId: text("rule_id").notNull(),
    tenantId: text("tenant_id"),
    type: text("type", { enum: ["alert.firing", "alert.resolved"] }).notNull(),
    value: real("value").notNull(),
    threshold: real("threshold").notNull(),
    windowMinutes: integer("window_minutes").notNull(),
    /** The webhook body, fixed when the event is made, so every retry sends the same bytes. */
    payload: text("payload").notNull(),
    at: integer("at").notNull(),
    delivery: text("delivery", { enum: ["pending", "delivered", "failed"] }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at"),
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    deliveredAt: integer("delivered_at"),
  },
  (t) => [index("alert_events_rule_idx").on(t.ruleId, t.at), index("alert_events_delivery_idx").on(t.delivery, t.nextAttemptAt)],
);

export type AlertRuleRow = typeof alertRules.$inferSelect;
export type AlertEventRow = typeof alertEvents.$inferSelect;
