// GET /v1/analytics (a tenant's own traffic, every tenant's for platform keys) and
// GET /v1/analytics/offenders (platform keys only: failures before a key is known belong to no
// tenant). Both read the rollups the keys' objects and isolates flush, so they lag traffic by
// those flushes (README "Analytics").
import { defineRoute, endpoint, jsonContent, type Endpoint } from "../http/route.ts";
import { existingReadableTenant } from "../admin/usage.ts";
import { readSeries } from "./analytics-query.ts";
import { hourRange, seriesRange } from "./analytics-range.ts";
import { AnalyticsQuery, AnalyticsSeries, Offenders, OffendersQuery } from "./analytics-schemas.ts";
import { readOffenders } from "./offenders.ts";

const iso = (ms: number) => new Date(ms).toISOString();

const analytics = defineRoute("admin", {
  operationId: "getAnalytics",
  method: "get",
  path: "/v1/analytics",
  tags: ["Analytics"],
  summary: "Requests, cost and latency over time, by outcome, route, key, tenant or status",
  description:
    "Buckets of `interval` with requests in [from floored to the interval, to), sorted by time then group; buckets without requests are left out. " +
    "A tenant's own keys see only their tenant's rows; platform keys see every tenant's and the requests no key could be named for (tenant and key null), unless they filter. " +
    "`costUsd` prices tokens at each tenant's current price. A range too long for the interval is 422, naming the interval that fits.",
  request: { query: AnalyticsQuery },
  responses: {
    200: { description: "The series", ...jsonContent(AnalyticsSeries) },
    404: { description: "No such tenant (or, for a tenant's own keys, another tenant)" },
    422: { description: "Invalid query: unknown interval, groupBy or outcome, a bad timestamp, from not before to, or a range too long for the interval" },
  },
});

const offenders = defineRoute("platform", {
  operationId: "getAuthFailureOffenders",
  method: "get",
  path: "/v1/analytics/offenders",
  tags: ["Analytics"],
  summary: "The client networks failing authentication most",
  description:
    "Failed authentications (missing, malformed, unknown, revoked, expired or disabled keys) per client network (/24 for IPv4, /48 for IPv6), most first. " +
    "Counted per hour: `from` is floored and `to` rounded up to the hour, and the response says which hours it covers. Default: the last 24 hours.",
  request: { query: OffendersQuery },
  responses: {
    200: { description: "The networks, most failures first", ...jsonContent(Offenders) },
    422: { description: "Invalid query: a bad timestamp, from not before to, or a limit outside 1–100" },
  },
});

export const analyticsRoutes: Endpoint[] = [
  endpoint(analytics, async (c) => {
    const q = c.req.valid("query");
    const range = seriesRange(q);
    const tenantId = await existingReadableTenant(c, q.tenantId);
    const data = await readSeries(c.get("stores").db, range, q.groupBy, { tenantId, keyId: q.keyId, route: q.route, outcome: q.outcome });
    return c.json({ interval: range.interval, from: iso(range.from), to: iso(range.to), groupBy: q.groupBy ?? null, data }, 200);
  }),

  endpoint(offenders, async (c) => {
    const q = c.req.valid("query");
    const range = hourRange(q);
    const data = await readOffenders(c.get("stores").db, range, q.limit);
    return c.json({ from: iso(range.from), to: iso(range.to), data }, 200);
  }),
];
