// GET /v1/metrics: the D1 rollups, keys, jobs and alerts in the Prometheus text format, read back
// with a real Prometheus parser. Traffic is seeded straight into the rollups (as the keys' objects
// flush it) for two tenants, two routes, several outcomes and keyless requests; the seeded
// tenants make no requests of their own here, so their totals are exactly what was seeded.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { KEY_LIKE } from "../../src/core/redact.ts";
import { DAY_MS, type Sample } from "../../src/analytics/rollup.ts";
import { call, createKey, createTenant, platformKey } from "../support/gateway.ts";
import { samples, scrape, seedTraffic, type Seed } from "../support/metrics.ts";
import { family, histogramLabelSets, histogramOf, samplesOf, valueOf } from "../support/prometheus.ts";

const now = Date.now();
const days = [now, now - 3 * DAY_MS, now - 40 * DAY_MS];
// A route as hostile to the format as a label value can be: quote, backslash, line feed.
const WEIRD_ROUTE = 'GET /v1/we"ird\\path\nnext';
const LE = ["0.001", "0.002", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"];
const BOUNDS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, Infinity];

let platform: string;
let tenantA: { id: string; slug: string };
let tenantB: { id: string; slug: string };
let seeds: Seed[];
let secrets: string[] = [];

async function keyFor(tenantId: string, body: Record<string, unknown> = {}) {
  const k = await createKey(platform, { tenantId, permissionSet: "read_only", ...body });
  secrets.push(k.key);
  return k.id as string;
}

beforeAll(async () => {
  platform = await platformKey();
  tenantA = await createTenant(platform, { plan: "pro" });
  tenantB = await createTenant(platform, { plan: "free" });
  await env.DB.prepare("UPDATE tenants SET price_per_1k_tokens = 0.5 WHERE id = ?").bind(tenantB.id).run();

  // Tenant A: one key per state, with the states' precedence tested where two apply.
  const active = await keyFor(tenantA.id);
  await keyFor(tenantA.id, { expiresAt: new Date(now + 3600_000).toISOString() }); // active until then
  const disabled = await keyFor(tenantA.id);
  const revoked = await keyFor(tenantA.id);
  const revokedAndDisabled = await keyFor(tenantA.id);
  const expiredAndDisabled = await keyFor(tenantA.id);
  const deleted = await keyFor(tenantA.id);
  for (const id of [disabled, revokedAndDisabled, expiredAndDisabled]) {
    expect((await call(`/v1/keys/${id}`, { method: "PATCH", key: platform, body: { enabled: false } })).status).toBe(200);
  }
  for (const id of [revoked, revokedAndDisabled]) {
    expect((await call(`/v1/keys/${id}/revoke`, { key: platform, body: { reason: "test" } })).status).toBe(200);
  }
  expect((await call(`/v1/keys/${deleted}`, { method: "DELETE", key: platform })).status).toBeLessThan(300);
  // No API sets an expiry in the past; a key whose expiry has passed looks like this.
  await env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?").bind(now - 1000, expiredAndDisabled).run();
  const other = await keyFor(tenantA.id);
  const b1 = await keyFor(tenantB.id);

  seeds = [
    {
      tenantId: tenantA.id,
      keyId: active,
      samples: [
        // 1 ms and 10 s sit on bucket bounds: le is inclusive.
        ...samples("POST /v1/query", "valid", 200, 2, [0.5, 1, 3, 30, 700, 10000, 20000], days),
        ...samples("POST /v1/query", "rate_limited", 429, 0, [0.2, 0.8], days),
        ...samples("GET /v1/keys/:id", "valid", 200, 1, [12, 40], days),
      ],
    },
    { tenantId: tenantA.id, keyId: other, samples: samples("POST /v1/query", "valid", 200, 2, [4], days) },
    {
      tenantId: tenantB.id,
      keyId: b1,
      samples: [
        ...samples("POST /v1/query", "valid", 200, 3, [1, 2, 2.5], days),
        ...samples("GET /v1/keys/:id", "forbidden", 403, 1, [5], days),
        ...samples(WEIRD_ROUTE, "valid", 200, 1, [7], days),
        // WebSocket messages: a byte count each, latency 0 (the upgrade itself is a GET like any other).
        ...samples("WS-IN /v1/realtime", "valid", 200, 1, [0, 0], days).map((s, i) => ({ ...s, bytes: 100 + i })),
        ...samples("WS-OUT /v1/realtime", "valid", 200, 0, [0], days).map((s) => ({ ...s, bytes: 4096 })),
      ],
    },
    {
      tenantId: "",
      keyId: "",
      samples: [
        ...samples("(unauthenticated)", "missing_credential", 401, 0, [0.1, 0.3], days),
        ...samples("(unauthenticated)", "unknown_key", 401, 0, [1.5], days),
      ],
    },
  ];
  await seedTraffic(seeds);

  const jobRows = [...Array(2).fill("pending"), "running", ...Array(3).fill("completed"), "cancelled"];
  await env.DB.batch(
    jobRows.map((status, i) =>
      env.DB.prepare("INSERT INTO jobs (id, tenant_id, key_id, route, source, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)").bind(
        `job_metrics${i}`,
        tenantA.id,
        active,
        "/v1/ingest",
        "test.csv",
        status,
        now,
        now,
      ),
    ),
  );
  const rules: [string | null, boolean, string][] = [
    [tenantA.id, true, "firing"],
    [null, true, "firing"],
    [tenantA.id, true, "ok"],
    [tenantB.id, false, "firing"], // disabled: not counted, whatever its last state
  ];
  await env.DB.batch(
    rules.map(([tenantId, enabled, state], i) =>
      env.DB.prepare(
        "INSERT INTO alert_rules (id, tenant_id, name, metric, threshold, window_minutes, webhook_url, secret, enabled, state, created_at, updated_at) VALUES (?, ?, ?, 'requests', 1, 5, 'https://hooks.example/x', 'whsec_dGVzdA==', ?, ?, ?, ?)",
      ).bind(`alr_metrics${i}`, tenantId, `rule ${i}`, enabled ? 1 : 0, state, now, now),
    ),
  );
});

/** What the seeds add up to, computed here from the samples, not by the code under test. */
function expected(filter: (s: Sample, tenantId: string) => boolean) {
  const all = seeds.flatMap((seed) => seed.samples.filter((s) => filter(s, seed.tenantId)));
  return { requests: all.length, cost: all.reduce((a, s) => a + s.cost, 0), bytes: all.reduce((a, s) => a + (s.bytes ?? 0), 0), latencies: all.flatMap((s) => (s.latencyMs === null ? [] : [s.latencyMs])) };
}

describe("GET /v1/metrics", () => {
  it("counts every tenant's requests by route and outcome, exactly, summed over every day", async () => {
    const m = await scrape(platform);
    const combos = new Set(seeds.flatMap((seed) => seed.samples.map((s) => JSON.stringify([seed.tenantId, s.route, s.outcome]))));
    expect(combos.size).toBe(10);
    for (const combo of combos) {
      const [tenant, route, outcome] = JSON.parse(combo) as string[];
      const want = expected((s, t) => t === tenant && s.route === route && s.outcome === outcome).requests;
      expect(valueOf(m, "keygate_requests_total", { tenant: tenant!, route: route!, outcome: outcome! }), combo).toBe(want);
    }
    expect(valueOf(m, "keygate_requests_total", { tenant: tenantA.id, route: "POST /v1/query", outcome: "valid" })).toBe(8);
    // Keyless requests are counted under the empty tenant.
    expect(valueOf(m, "keygate_requests_total", { tenant: "", route: "(unauthenticated)", outcome: "missing_credential" })).toBe(2);
    expect(family(m, "keygate_requests_total")).toMatchObject({ type: "COUNTER", help: expect.stringMatching(/\w/) });
  });

  it("counts tokens by tenant and route", async () => {
    const m = await scrape(platform);
    for (const [tenant, route] of [
      [tenantA.id, "POST /v1/query"],
      [tenantA.id, "GET /v1/keys/:id"],
      [tenantB.id, "POST /v1/query"],
      [tenantB.id, "GET /v1/keys/:id"],
      ["", "(unauthenticated)"],
    ] as const) {
      expect(valueOf(m, "keygate_request_cost_tokens_total", { tenant, route }), `${tenant} ${route}`).toBe(expected((s, t) => t === tenant && s.route === route).cost);
    }
    expect(valueOf(m, "keygate_request_cost_tokens_total", { tenant: tenantA.id, route: "POST /v1/query" })).toBe(16);
  });

  it("counts WebSocket message bytes by tenant and route; routes that carried none have no series", async () => {
    const m = await scrape(platform);
    expect(family(m, "keygate_bytes_total")).toMatchObject({ type: "COUNTER", help: expect.stringMatching(/WebSocket/) });
    for (const route of ["WS-IN /v1/realtime", "WS-OUT /v1/realtime"]) {
      expect(valueOf(m, "keygate_bytes_total", { tenant: tenantB.id, route }), route).toBe(expected((s, t) => t === tenantB.id && s.route === route).bytes);
    }
    // Two messages of 100 and 101 bytes (on different days, summed over all of them), and one of 4096.
    expect(valueOf(m, "keygate_bytes_total", { tenant: tenantB.id, route: "WS-IN /v1/realtime" })).toBe(201);
    expect(valueOf(m, "keygate_bytes_total", { tenant: tenantB.id, route: "WS-OUT /v1/realtime" })).toBe(4096);
    expect(samplesOf(m, "keygate_bytes_total").filter((s) => s.labels.tenant === tenantA.id || s.labels.tenant === "")).toEqual([]);
    expect(valueOf(m, "keygate_bytes_total", { tenant: tenantB.id, route: "POST /v1/query" })).toBeUndefined();
  });

  it("has a latency histogram per tenant: cumulative buckets in seconds, +Inf = _count, _sum in seconds", async () => {
    const m = await scrape(platform);
    expect(family(m, "keygate_request_duration_seconds").type).toBe("HISTOGRAM");
    for (const tenant of [tenantA.id, tenantB.id, ""]) {
      const h = histogramOf(m, "keygate_request_duration_seconds", { tenant });
      const { latencies, requests } = expected((_s, t) => t === tenant);
      expect(h.buckets.map((b) => b.le)).toEqual(LE);
      expect(h.buckets.map((b) => b.n)).toEqual(BOUNDS_MS.map((bound) => latencies.filter((ms) => ms <= bound).length));
      for (let i = 1; i < h.buckets.length; i++) expect(h.buckets[i]!.n).toBeGreaterThanOrEqual(h.buckets[i - 1]!.n);
      expect(h.buckets.at(-1)!.n).toBe(h.count);
      expect(h.count).toBe(requests);
      expect(h.sum).toBeCloseTo(latencies.reduce((a, b) => a + b, 0) / 1000, 9);
    }
    // Tenant A's seven query latencies straddle the bounds: 0.5 and 1 ms in the first bucket, 20 s only in +Inf.
    const a = histogramOf(m, "keygate_request_duration_seconds", { tenant: tenantA.id });
    expect(a.buckets[0]).toEqual({ le: "0.001", n: 4 }); // 0.5, 1, 0.2, 0.8
    expect(a.buckets.find((b) => b.le === "10")!.n).toBe(a.count - 1);
    // Labelled by tenant only (see src/insight/metrics-families.ts for why not by route).
    for (const labels of histogramLabelSets(m, "keygate_request_duration_seconds")) expect(Object.keys(labels)).toEqual(["tenant"]);
  });

  it("escapes a label value's quote, backslash and line feed, and the parser reads the route back unchanged", async () => {
    const m = await scrape(platform);
    expect(m.text).toContain(`route="GET /v1/we\\"ird\\\\path\\nnext"`);
    expect(valueOf(m, "keygate_requests_total", { tenant: tenantB.id, route: WEIRD_ROUTE, outcome: "valid" })).toBe(1);
    expect(valueOf(m, "keygate_request_cost_tokens_total", { tenant: tenantB.id, route: WEIRD_ROUTE })).toBe(1);
    // No line of the exposition is broken by it: every line is a comment or a sample.
    for (const line of m.text.trimEnd().split("\n")) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .*|[a-z][a-z0-9_]*(\{.*\})? \S+)$/);
  });

  it("only grows: more traffic adds to the counters, never replaces them", async () => {
    const before = await scrape(platform);
    const labels = { tenant: tenantA.id, route: "POST /v1/query", outcome: "valid" };
    await seedTraffic([{ tenantId: tenantA.id, keyId: "key_later", samples: samples("POST /v1/query", "valid", 200, 2, [3, 3], [Date.now()]) }]);
    const after = await scrape(platform);
    expect(valueOf(after, "keygate_requests_total", labels)).toBe(valueOf(before, "keygate_requests_total", labels)! + 2);
    expect(valueOf(after, "keygate_request_cost_tokens_total", { tenant: tenantA.id, route: "POST /v1/query" })).toBe(
      valueOf(before, "keygate_request_cost_tokens_total", { tenant: tenantA.id, route: "POST /v1/query" })! + 4,
    );
    await seedTraffic([{ tenantId: tenantB.id, keyId: "key_later", samples: [{ ...samples("WS-IN /v1/realtime", "valid", 200, 1, [0], [Date.now()])[0]!, bytes: 10 }] }]);
    const ws = { tenant: tenantB.id, route: "WS-IN /v1/realtime" };
    expect(valueOf(await scrape(platform), "keygate_bytes_total", ws)).toBe(valueOf(after, "keygate_bytes_total", ws)! + 10);
    expect(histogramOf(after, "keygate_request_duration_seconds", { tenant: tenantA.id }).count).toBe(
      histogramOf(before, "keygate_request_duration_seconds", { tenant: tenantA.id }).count + 2,
    );
  });

  it("gauges keys by tenant and state, one state per key, every state listed", async () => {
    const m = await scrape(platform);
    const a = (state: string) => valueOf(m, "keygate_keys", { tenant: tenantA.id, state });
    expect({ active: a("active"), disabled: a("disabled"), expired: a("expired"), revoked: a("revoked"), deleted: a("deleted") }).toEqual({
      active: 3, // one plain, one expiring later, one more for traffic
      disabled: 1,
      expired: 1, // expired beats disabled
      revoked: 2, // revoked beats disabled
      deleted: 1, // deleted beats revoked
    });
    expect(samplesOf(m, "keygate_keys").filter((s) => s.labels.tenant === tenantB.id)).toEqual(
      ["deleted", "revoked", "expired", "disabled", "active"].map((state) => ({ labels: { tenant: tenantB.id, state }, value: state === "active" ? 1 : 0 })),
    );
    expect(family(m, "keygate_keys").type).toBe("GAUGE");
  });

  it("gauges jobs by state and firing alert rules", async () => {
    const m = await scrape(platform);
    expect(Object.fromEntries(samplesOf(m, "keygate_jobs").map((s) => [s.labels.state, s.value]))).toEqual({
      pending: 2,
      running: 1,
      completed: 3,
      failed: 0,
      cancelled: 1,
    });
    expect(valueOf(m, "keygate_alerts_firing")).toBe(2);
  });

  it("names tenants (tenant_info) and prices them, so dashboards can show slugs and dollars", async () => {
    const m = await scrape(platform);
    expect(valueOf(m, "keygate_tenant_info", { tenant: tenantA.id, slug: tenantA.slug, plan: "pro" })).toBe(1);
    expect(valueOf(m, "keygate_tenant_info", { tenant: tenantB.id, slug: tenantB.slug, plan: "free" })).toBe(1);
    expect(valueOf(m, "keygate_tenant_price_per_1k_tokens_usd", { tenant: tenantA.id })).toBe(0.002); // pro's price
    expect(valueOf(m, "keygate_tenant_price_per_1k_tokens_usd", { tenant: tenantB.id })).toBe(0.5); // its own
  });

  it("describes every family with HELP and TYPE, says not to cache, and shows no key", async () => {
    const res = await call("/v1/metrics", { key: platform });
    expect(res.headers.get("cache-control")).toBe("no-store");
    const m = await scrape(platform);
    const names = [...m.families.keys()];
    expect(names).toEqual([
      "keygate_requests_total",
      "keygate_request_cost_tokens_total",
      "keygate_bytes_total",
      "keygate_request_duration_seconds",
      "keygate_keys",
      "keygate_jobs",
      "keygate_alerts_firing",
      "keygate_tenant_info",
      "keygate_tenant_price_per_1k_tokens_usd",
    ]);
    for (const name of names) {
      expect(m.text).toMatch(new RegExp(`^# HELP ${name} \\S`, "m"));
      expect(m.text).toMatch(new RegExp(`^# TYPE ${name} (counter|gauge|histogram)$`, "m"));
    }
    expect(m.text).not.toMatch(KEY_LIKE);
    for (const secret of [platform, ...secrets]) expect(m.text).not.toContain(secret.slice(8));
  });
});
