// Wire shapes of alert rules and their events. The secret is part of two responses only, create
// and rotate-secret (AlertWithSecret); every other view is built by alertView/eventView, which
// have no field to put it in.
import { z } from "@hono/zod-openapi";
import type { AlertEventRow, AlertRuleRow } from "../db/alerts-schema.ts";
import { alertRules } from "../db/alerts-schema.ts";
import { Id, iso, label, PaginationQuery, TenantId, text } from "../http/schemas.ts";

export const ALERT_METRICS = alertRules.metric.enumValues;
export type AlertMetric = (typeof ALERT_METRICS)[number];

export const AlertId = Id("alr").openapi({ example: "alr_0Mf3kq2Ax9TuPz0c" });
export const EventId = Id("msg").openapi({ example: "msg_0Mf3kq2Ax9TuPz0c" });

export const MAX_WINDOW_MINUTES = 1440;

const metric = z.enum(ALERT_METRICS).openapi("AlertMetric", {
  description:
    "auth_failures: failed authentications; rate_limited: rate-limited and quota-exceeded requests; requests: all requests; error_rate: 5xx ÷ all (0 without requests); cost_usd: tokens charged ÷ 1000 × each tenant's price; usage_anomaly: requests ÷ the 7-day average for the same window at the same time of day.",
});
const threshold = z.number().min(0).max(1e15).openapi({ description: "The rule fires when the metric's value is at or above this.", example: 100 });
const windowMinutes = z
  .number()
  .int()
  .min(1)
  .max(MAX_WINDOW_MINUTES)
  .openapi({ description: "The last this many whole minutes plus the current one.", example: 5 });
const webhookUrl = text(2048)
  .pipe(z.string().min(1))
  .openapi({ description: "https (http://127.0.0.1… or http://localhost… outside production); no credentials.", example: "https://hooks.example.com/keygate" });

export const CreateAlertBody = z
  .object({
    name: label(100),
    tenantId: TenantId.optional().openapi({
      description: "The tenant whose traffic the rule watches. Defaults to the caller's; a platform key that gives none makes a platform rule over all traffic.",
    }),
    metric,
    threshold,
    windowMinutes,
    webhookUrl,
    enabled: z.boolean().default(true),
  })
  .strict()
  .openapi("CreateAlert");

export const UpdateAlertBody = z
  .object({ name: label(100), metric, threshold, windowMinutes, webhookUrl, enabled: z.boolean() })
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: "nothing to update" })
  .openapi("UpdateAlert");

export const AlertSchema = z
  .object({
    id: AlertId,
    tenantId: z.string().nullable().openapi({ description: "null: a platform rule over every tenant's traffic." }),
    name: z.string(),
    metric,
    threshold: z.number(),
    windowMinutes: z.number().int(),
    webhookUrl: z.string(),
    enabled: z.boolean(),
    state: z.enum(["ok", "firing"]),
    lastValue: z.number().nullable().openapi({ description: "The metric's value at the last evaluation." }),
    lastEvaluatedAt: z.string().nullable(),
    createdAt: z.string(),
    createdBy: z.string().nullable(),
    updatedAt: z.string(),
  })
  .openapi("Alert");

export const AlertWithSecret = AlertSchema.extend({
  secret: z.string().openapi({ description: "whsec_…: verifies the webhooks' signatures. Shown this once.", example: "whsec_MfKQ9r8GKYqrTwJk3pY6vIw2n7dxw0Rb" }),
}).openapi("AlertWithSecret");

export const AlertList = z.object({ data: z.array(AlertSchema), nextCursor: z.string().nullable() }).openapi("AlertList");

export const AlertListQuery = PaginationQuery("alr").extend({
  tenantId: TenantId.optional().openapi({ description: "Platform keys only: one tenant's rules (without it, every rule, platform rules included)." }),
  state: z.enum(["ok", "firing"]).optional(),
});

export const AlertEventSchema = z
  .object({
    id: EventId.openapi({ description: "Also the webhook-id of every delivery attempt." }),
    ruleId: AlertId,
    tenantId: z.string().nullable(),
    type: z.enum(["alert.firing", "alert.resolved"]),
    value: z.number(),
    threshold: z.number(),
    windowMinutes: z.number().int(),
    at: z.string(),
    delivery: z.enum(["pending", "delivered", "failed"]),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable().openapi({ description: "When a pending delivery is tried next." }),
    lastStatus: z.number().int().nullable().openapi({ description: "The receiver's last HTTP status (null: no answer)." }),
    lastError: z.string().nullable(),
    deliveredAt: z.string().nullable(),
  })
  .openapi("AlertEvent");

export const AlertEventList = z.object({ data: z.array(AlertEventSchema), nextCursor: z.string().nullable() }).openapi("AlertEventList");

export function alertView(r: AlertRuleRow): z.infer<typeof AlertSchema> {
  return {
    id: r.id,
    tenantId: r.tenantId,
    name: r.name,
    metric: r.metric,
    threshold: r.threshold,
    windowMinutes: r.windowMinutes,
    webhookUrl: r.webhookUrl,
    enabled: r.enabled,
    state: r.state,
    lastValue: r.lastValue,
    lastEvaluatedAt: iso(r.lastEvaluatedAt),
    createdAt: iso(r.createdAt)!,
    createdBy: r.createdBy,
    updatedAt: iso(r.updatedAt)!,
  };
}

export function eventView(e: AlertEventRow): z.infer<typeof AlertEventSchema> {
  return {
    id: e.id,
    ruleId: e.ruleId,
    tenantId: e.tenantId,
    type: e.type,
    value: e.value,
    threshold: e.threshold,
    windowMinutes: e.windowMinutes,
    at: iso(e.at)!,
    delivery: e.delivery,
    attempts: e.attempts,
    nextAttemptAt: e.delivery === "pending" ? iso(e.nextAttemptAt) : null,
    lastStatus: e.lastStatus,
    lastError: e.lastError,
    deliveredAt: iso(e.deliveredAt),
  };
}
