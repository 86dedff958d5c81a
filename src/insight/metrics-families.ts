// The metric families /v1/metrics exposes, built from what metrics-queries.ts read. Pure, so the
// Grafana dashboard's test can render them in Node and check every metric name it queries.
//
// The latency histogram is labelled by tenant only. With 14 `le` buckets plus _sum and _count,
// every label set costs 16 series; by tenant and route it would be 16 × tenants × routes (a
// thousand tenants on twenty routes: 320,000 series from one target), past what a Prometheus
// server should take from one scrape. Latency per route and key is a high-cardinality question:
// the analytics API (D1 rollups) and Analytics Engine answer it.
import { LATENCY_BOUNDS_MS } from "../core/latency-histogram.ts";
import { pricePer1kTokens } from "../tenants/plans.ts";
import type { Family, HistogramSample, Sample } from "./exposition.ts";
import { JOB_STATES, KEY_STATES, type MetricsData } from "./metrics-queries.ts";

/** The histogram's upper bounds in seconds, the unit Prometheus expects. */
export const LATENCY_BOUNDS_SECONDS = LATENCY_BOUNDS_MS.map((ms) => ms / 1000);

/** Every family, in the order the exposition lists them. */
export const METRIC_NAMES = {
  requests: "keygate_requests_total",
  cost: "keygate_request_cost_tokens_total",
  bytes: "keygate_bytes_total",
  duration: "keygate_request_duration_seconds",
  keys: "keygate_keys",
  jobs: "keygate_jobs",
  alertsFiring: "keygate_alerts_firing",
  tenantInfo: "keygate_tenant_info",
  tenantPrice: "keygate_tenant_price_per_1k_tokens_usd",
} as const;

function sumBy<T>(rows: readonly T[], key: (r: T) => string, value: (r: T) => number): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) out.set(key(r), (out.get(key(r)) ?? 0) + value(r));
  return out;
}

function latencyByTenant(traffic: MetricsData["traffic"]): HistogramSample[] {
  const byTenant = new Map<string, { hist: number[]; sumMs: number }>();
  for (const r of traffic) {
    const t = byTenant.get(r.tenantId) ?? { hist: r.hist.map(() => 0), sumMs: 0 };
    r.hist.forEach((n, i) => (t.hist[i] = (t.hist[i] ?? 0) + n));
    t.sumMs += r.latencyMsSum;
    byTenant.set(r.tenantId, t);
  }
  return [...byTenant].map(([tenant, { hist, sumMs }]) => {
    let running = 0;
    const cumulative = hist.map((n) => (running += n));
    // _count is the buckets' own total, so it always equals le="+Inf".
    return { labels: { tenant }, cumulative: cumulative.slice(0, LATENCY_BOUNDS_SECONDS.length), sum: sumMs / 1000, count: running };
  });
}

function byTenantAndRoute(traffic: MetricsData["traffic"], value: (r: MetricsData["traffic"][number]) => number): Sample[] {
  // Keyed by a separator no tenant id holds (ids are base62); the route is taken from the remainder.
  const sums = sumBy(traffic, (r) => `${r.tenantId}\u0000${r.route}`, value);
  return [...sums].map(([k, v]) => {
    const at = k.indexOf("\u0000");
    return { labels: { tenant: k.slice(0, at), route: k.slice(at + 1) }, value: v };
  });
}

export function metricFamilies(data: MetricsData): Family[] {
  const requests: Sample[] = data.traffic.map((r) => ({ labels: { tenant: r.tenantId, route: r.route, outcome: r.outcome }, value: r.requests }));
  const cost = byTenantAndRoute(data.traffic, (r) => r.cost);
  // Only where a route carried any: HTTP routes never do, and a zero series each would double the per-route series.
  const bytes = byTenantAndRoute(data.traffic, (r) => r.bytes ?? 0).filter((s) => s.value > 0);

  const keyCounts = new Map(data.keys.map((k) => [`${k.tenantId}\u0000${k.state}`, k.n]));
  const keyTenants = [...new Set([...data.tenants.map((t) => t.id), ...data.keys.map((k) => k.tenantId)])].sort();
  // Every state for every tenant, zeros too: a gauge that drops to zero must read 0, not vanish.
  const keys: Sample[] = keyTenants.flatMap((tenant) =>
    KEY_STATES.map((state) => ({ labels: { tenant, state }, value: keyCounts.get(`${tenant}\u0000${state}`) ?? 0 })),
  );
  const jobCounts = new Map(data.jobs.map((j) => [j.status, j.n]));
  const jobs: Sample[] = JOB_STATES.map((state) => ({ labels: { state }, value: jobCounts.get(state) ?? 0 }));

  return [
    { name: METRIC_NAMES.requests, type: "counter", help: "Requests by tenant, route and outcome, since the first request (D1 day rollups).", samples: requests },
    { name: METRIC_NAMES.cost, type: "counter", help: "Tokens charged by tenant and route, since the first request.", samples: cost },
    {
      name: METRIC_NAMES.bytes,
      type: "counter",
      help: "Bytes of WebSocket messages (both directions) by tenant and route, since the first message; routes that carried none are left out.",
      samples: bytes,
    },
    {
      name: METRIC_NAMES.duration,
      type: "histogram",
      help: "Time from the request reaching keygate to its response, by tenant.",
      bounds: LATENCY_BOUNDS_SECONDS,
      samples: latencyByTenant(data.traffic),
    },
    { name: METRIC_NAMES.keys, type: "gauge", help: "API keys by tenant and state (deleted > revoked > expired > disabled > active).", samples: keys },
    { name: METRIC_NAMES.jobs, type: "gauge", help: "Ingest jobs by state.", samples: jobs },
    { name: METRIC_NAMES.alertsFiring, type: "gauge", help: "Enabled alert rules that are firing.", samples: [{ labels: {}, value: data.alertsFiring }] },
    {
      name: METRIC_NAMES.tenantInfo,
      type: "gauge",
      help: "1 per tenant, to name tenants in dashboards (join on the tenant label).",
      samples: data.tenants.map((t) => ({ labels: { tenant: t.id, slug: t.slug, plan: t.plan }, value: 1 })),
    },
    {
      name: METRIC_NAMES.tenantPrice,
      type: "gauge",
      help: "The tenant's current price in USD per 1,000 tokens (its own, else its plan's): cost in USD is tokens / 1000 times this.",
      samples: data.tenants.map((t) => ({ labels: { tenant: t.id }, value: pricePer1kTokens(t) })),
    },
  ];
}
