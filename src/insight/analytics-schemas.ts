// Wire shapes of the analytics and offenders API. Times are ISO 8601 (UTC on the way out).
import { z } from "@hono/zod-openapi";
import { OUTCOMES } from "../analytics/outcome.ts";
import { KeyId, TenantId } from "../http/schemas.ts";
import { GROUP_BY } from "./analytics-query.ts";
import { INTERVALS } from "./analytics-range.ts";

const timestamp = (description: string) =>
  z.string().datetime({ offset: true }).optional().openapi({ description, example: "2026-11-02T10:00:00Z" });

export const IntervalSchema = z.enum(INTERVALS).openapi("AnalyticsInterval");
export const OutcomeSchema = z.enum(OUTCOMES).openapi("Outcome");

export const AnalyticsQuery = z.object({
  from: timestamp("Start (ISO 8601), floored to the interval. Default: `to` minus 1 hour (minute), 24 hours (hour) or 30 days (day)."),
  to: timestamp("End (ISO 8601), exclusive: buckets that start before it. Default: now."),
  interval: IntervalSchema.default("hour").openapi({
    description: "Bucket size. A range may cover at most 48 hours of minutes, 90 days of hours, 3660 days of days.",
  }),
  groupBy: z.enum(GROUP_BY).optional().openapi({ description: "One series per value of this; none: one series." }),
  tenantId: TenantId.optional().openapi({ description: "Platform keys: only this tenant (404 if it does not exist). A tenant's own keys always see only their tenant." }),
  keyId: KeyId.optional(),
  route: z.string().min(1).max(200).optional().openapi({ description: "As usage names it, e.g. `GET /v1/keys/:id`, `(unauthenticated)`.", example: "POST /v1/query" }),
  outcome: OutcomeSchema.optional(),
});

const Latency = z
  .object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() })
  .openapi("LatencyPercentiles", { description: "Milliseconds, from the summed latency histogram: exact to within its bucket's width." });

const Point = z
  .object({
    time: z.string().openapi({ description: "Start of the bucket (UTC).", example: "2026-11-02T10:00:00.000Z" }),
    outcome: OutcomeSchema.optional().openapi({ description: "With groupBy=outcome." }),
    route: z.string().optional().openapi({ description: "With groupBy=route." }),
    key: z.string().nullable().optional().openapi({ description: "With groupBy=key; null for requests no key could be named for." }),
    tenant: z.string().nullable().optional().openapi({ description: "With groupBy=tenant; null for requests no tenant could be named for." }),
    status: z.string().optional().openapi({ description: "With groupBy=status: 1xx … 5xx.", example: "2xx" }),
    requests: z.number().int(),
    cost: z.number().openapi({ description: "Tokens charged." }),
    costUsd: z.number().openapi({ description: "Those tokens at each tenant's current price per 1,000 tokens; requests of no tenant cost 0." }),
    bytes: z.number().int().openapi({ description: "Bytes of WebSocket messages, both directions; 0 for HTTP requests." }),
    latencyMs: Latency,
  })
  .openapi("AnalyticsPoint");

export const AnalyticsSeries = z
  .object({
    interval: IntervalSchema,
    from: z.string().openapi({ description: "The first bucket's start: `from` floored to the interval." }),
    to: z.string(),
    groupBy: z.enum(GROUP_BY).nullable(),
    data: z.array(Point).openapi({ description: "Sorted by time, then group. Buckets without requests are left out." }),
  })
  .openapi("AnalyticsSeries");

export const OffendersQuery = z.object({
  from: timestamp("Start (ISO 8601), floored to the hour. Default: 24 hours before `to`."),
  to: timestamp("End (ISO 8601), rounded up to the hour. Default: now."),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const Offenders = z
  .object({
    from: z.string(),
    to: z.string(),
    data: z.array(
      z
        .object({
          network: z.string().openapi({ description: "The client's /24 (IPv4) or /48 (IPv6), or `unknown`.", example: "203.0.113.0/24" }),
          requests: z.number().int(),
          outcomes: z.record(z.string(), z.number().int()).openapi({ description: "Failed authentications by outcome.", example: { unknown_key: 40, malformed_key: 2 } }),
        })
        .openapi("Offender"),
    ),
  })
  .openapi("Offenders");
