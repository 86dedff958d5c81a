// GET /v1/metrics: every tenant's traffic, keys, jobs and alerts for a Prometheus scrape. Computed
// from D1 on each scrape, never from counters in the isolate: an isolate sees only its own share
// of traffic and forgets it when evicted, so Prometheus would read resets and fractions.
import { z } from "@hono/zod-openapi";
import { defineRoute, endpoint, type Endpoint } from "../http/route.ts";
import { EXPOSITION_CONTENT_TYPE, renderExposition } from "./exposition.ts";
import { metricFamilies } from "./metrics-families.ts";
import { readMetricsData } from "./metrics-queries.ts";

const EXAMPLE = `# HELP keygate_requests_total Requests by tenant, route and outcome, since the first request (D1 day rollups).
# TYPE keygate_requests_total counter
keygate_requests_total{tenant="ten_…",route="POST /v1/query",outcome="valid"} 1027
`;

const metrics = defineRoute("metrics", {
  operationId: "getMetrics",
  method: "get",
  path: "/v1/metrics",
  tags: ["Metrics"],
  summary: "Prometheus metrics for every tenant",
  description:
    "The Prometheus text exposition format 0.0.4, computed from the D1 rollups on each scrape: " +
    "keygate_requests_total{tenant,route,outcome}, keygate_request_cost_tokens_total{tenant,route}, " +
    "keygate_request_duration_seconds{tenant} (histogram), keygate_keys{tenant,state}, keygate_jobs{state}, " +
    "keygate_alerts_firing, keygate_tenant_info{tenant,slug,plan} and keygate_tenant_price_per_1k_tokens_usd{tenant}. " +
    "Traffic counters lag requests by about 15 s (the keys' objects flush usage in batches). " +
    "Needs the metrics scope, which platform keys hold and only they can grant.",
  responses: {
    200: {
      description: "Prometheus text exposition format 0.0.4",
      content: { [EXPOSITION_CONTENT_TYPE]: { schema: z.string().openapi({ example: EXAMPLE }) } },
    },
    503: { description: "The key's limiter or D1 could not be reached (temporary-reduced-capacity, store-unavailable); retry after Retry-After" },
  },
});

export const metricsRoutes: Endpoint[] = [
  endpoint(metrics, async (c) => {
    const data = await readMetricsData(c.get("stores").db, Date.now());
    return c.text(renderExposition(metricFamilies(data)), 200, { "Content-Type": EXPOSITION_CONTENT_TYPE, "Cache-Control": "no-store" });
  }),
];
