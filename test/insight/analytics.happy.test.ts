// GET /v1/analytics over rollups written as the keys' objects write them: two tenants (one at its
// plan's price, one at its own), three keys, keyless requests, several routes, outcomes, minutes,
// hours and days. Every interval and groupBy is compared with the same samples summed in JS, and
// a few figures are spelled out so the reference cannot be wrong in the same way as the API.
import { beforeAll, describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../src/analytics/rollup.ts";
import { expectedSeries, isoOf, privateDay, seed, type GroupBy, type Seeded } from "../support/analytics-seed.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
let adminA: string;
let A: string;
let B: string;
let a1: string;
let a2: string;
let b1: string;
const D0 = privateDay();
const T0 = D0 + 10 * HOUR_MS;
const samples: Seeded[] = [];
let prices: Record<string, number>;

beforeAll(async () => {
  platform = await platformKey();
  const ta = await tenantWithAdmin(platform, { plan: "pro" });
  const tb = await tenantWithAdmin(platform, { plan: "free", pricePer1kTokens: 0.5 });
  ({ admin: adminA } = ta);
  A = ta.tenant.id;
  B = tb.tenant.id;
  a1 = (await createKey(platform, { tenantId: A, scopes: ["query"] })).id;
  a2 = (await createKey(platform, { tenantId: A, scopes: ["query"] })).id;
  b1 = (await createKey(platform, { tenantId: B, scopes: ["query"] })).id;
  prices = { [A]: 0.002, [B]: 0.5, "": 0 };
  const s = (who: [string, string], route: string, outcome: Seeded["outcome"], status: number, cost: number, latencyMs: number, at: number, bytes?: number): Seeded => ({
    tenantId: who[0],
    keyId: who[1],
    route,
    outcome,
    status,
    cost,
    latencyMs,
    at,
    ...(bytes === undefined ? {} : { bytes }),
  });
  const keyless: [string, string] = ["", ""];
  samples.push(
    s([A, a1], "POST /v1/query", "valid", 200, 5, 3, T0 + 10_000),
    s([A, a1], "POST /v1/query", "valid", 200, 5, 30, T0 + 20_000),
    s([A, a1], "POST /v1/query", "rate_limited", 429, 0, 1, T0 + 70_000),
    s([A, a2], "GET /v1/keys/:id", "valid", 200, 1, 8, T0 + 70_000),
    s([A, a2], "GET /v1/keys/:id", "forbidden", 403, 1, 2, T0 + 65 * MINUTE_MS),
    s([B, b1], "POST /v1/query", "valid", 200, 10, 300, T0 + 30_000),
    s([B, b1], "POST /v1/query", "origin_error", 502, 10, 2000, T0 + 65 * MINUTE_MS),
    s([B, b1], "POST /v1/query", "valid", 200, 10, 12_000, T0 + 66 * MINUTE_MS),
    s(keyless, "(unauthenticated)", "unknown_key", 401, 0, 1, T0 + 10_000),
    s(keyless, "(unauthenticated)", "unknown_key", 401, 0, 1, T0 + 11_000),
    s(keyless, "(unauthenticated)", "missing_credential", 401, 0, 0.5, T0 + 65 * MINUTE_MS),
    s([A, a1], "POST /v1/query", "valid", 200, 2, 4, T0 + DAY_MS + 5 * MINUTE_MS),
    // WebSocket messages, as the realtime proxy counts them: a byte count each, latency 0, a refused one costs nothing.
    s([B, b1], "WS-IN /v1/realtime", "valid", 200, 1, 0, T0 + DAY_MS + 10 * MINUTE_MS, 120),
    s([B, b1], "WS-IN /v1/realtime", "valid", 200, 1, 0, T0 + DAY_MS + 10 * MINUTE_MS, 80),
    s([B, b1], "WS-IN /v1/realtime", "rate_limited", 429, 0, 0, T0 + DAY_MS + 11 * MINUTE_MS, 40),
    s([B, b1], "WS-OUT /v1/realtime", "valid", 200, 0, 0, T0 + DAY_MS + 10 * MINUTE_MS, 65_536),
  );
  await seed(samples);
});

async function series(key: string, query: Record<string, string>) {
  const res = await call(`/v1/analytics?${new URLSearchParams(query)}`, { key });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return JSON.parse(text);
}

const RANGES = {
  minute: { from: T0, to: T0 + 2 * HOUR_MS },
  hour: { from: T0 + 30 * MINUTE_MS, to: T0 + 2 * DAY_MS },
  day: { from: D0 + 5 * HOUR_MS, to: D0 + 3 * DAY_MS },
} as const;
const GROUPS: (GroupBy | undefined)[] = [undefined, "outcome", "route", "key", "tenant", "status"];

describe("GET /v1/analytics", () => {
  for (const interval of ["minute", "hour", "day"] as const) {
    for (const groupBy of GROUPS) {
      it(`interval=${interval} groupBy=${groupBy ?? "(none)"}: exact sums, cost and percentiles (platform: every tenant, keyless too)`, async () => {
        const { from, to } = RANGES[interval];
        const query: Record<string, string> = { interval, from: isoOf(from), to: isoOf(to), ...(groupBy ? { groupBy } : {}) };
        const body = await series(platform, query);
        const expected = expectedSeries(samples, { interval, from, to, groupBy }, prices);
        expect(expected.length).toBeGreaterThan(1);
        expect(body).toEqual({ interval, from: isoOf(from - (from % { minute: MINUTE_MS, hour: HOUR_MS, day: DAY_MS }[interval])), to: isoOf(to), groupBy: groupBy ?? null, data: expected });
      });
    }
  }

  it("spelled out: tenant A's first minute, its cost at the pro plan's price, and its percentiles", async () => {
    const body = await series(platform, { interval: "minute", from: isoOf(T0), to: isoOf(T0 + MINUTE_MS), tenantId: A });
    // 3 ms and 30 ms: buckets (2, 5] and (25, 50], interpolated inside each.
    expect(body.data).toEqual([{ time: isoOf(T0), requests: 2, cost: 10, costUsd: 0.00002, bytes: 0, latencyMs: { p50: 5, p95: 47.5, p99: 49.5 } }]);
  });

  it("spelled out: tenant B's own price, by status; latency past 10 s reads as 10000", async () => {
    const body = await series(platform, { interval: "hour", from: isoOf(T0), to: isoOf(T0 + 2 * HOUR_MS), tenantId: B, groupBy: "status" });
    expect(body.data).toEqual([
      { time: isoOf(T0), status: "2xx", requests: 1, cost: 10, costUsd: 0.005, bytes: 0, latencyMs: { p50: 375, p95: 487.5, p99: 497.5 } },
      { time: isoOf(T0 + HOUR_MS), status: "2xx", requests: 1, cost: 10, costUsd: 0.005, bytes: 0, latencyMs: { p50: 10000, p95: 10000, p99: 10000 } },
      { time: isoOf(T0 + HOUR_MS), status: "5xx", requests: 1, cost: 10, costUsd: 0.005, bytes: 0, latencyMs: { p50: 1750, p95: 2425, p99: 2485 } },
    ]);
  });

  it("spelled out: WebSocket messages' bytes summed per route and bucket, both directions; HTTP routes carry 0", async () => {
    const body = await series(platform, { interval: "hour", from: isoOf(T0 + DAY_MS), to: isoOf(T0 + DAY_MS + HOUR_MS), groupBy: "route" });
    expect(body.data.map((p: any) => [p.route, p.requests, p.cost, p.bytes])).toEqual([
      ["POST /v1/query", 1, 2, 0],
      ["WS-IN /v1/realtime", 3, 2, 240],
      ["WS-OUT /v1/realtime", 1, 0, 65_536],
    ]);
    const byOutcome = await series(platform, { interval: "minute", from: isoOf(T0 + DAY_MS), to: isoOf(T0 + DAY_MS + HOUR_MS), tenantId: B, groupBy: "outcome" });
    expect(byOutcome.data.map((p: any) => [p.time, p.outcome, p.bytes])).toEqual([
      [isoOf(T0 + DAY_MS + 10 * MINUTE_MS), "valid", 120 + 80 + 65_536],
      [isoOf(T0 + DAY_MS + 11 * MINUTE_MS), "rate_limited", 40],
    ]);
    const day = await series(platform, { interval: "day", from: isoOf(D0), to: isoOf(D0 + 2 * DAY_MS), tenantId: B });
    expect(day.data.map((p: any) => p.bytes)).toEqual([0, 240 + 65_536]);
  });

  it("keyless requests cost nothing and have no tenant or key", async () => {
    const body = await series(platform, { interval: "day", from: isoOf(D0), to: isoOf(D0 + DAY_MS), groupBy: "key", route: "(unauthenticated)" });
    expect(body.data).toEqual([{ time: isoOf(D0), key: null, requests: 3, cost: 0, costUsd: 0, bytes: 0, latencyMs: expect.any(Object) }]);
  });

  it("filters narrow the rows: keyId, route, outcome, together", async () => {
    const range = { interval: "day", from: isoOf(D0), to: isoOf(D0 + 2 * DAY_MS) };
    const byKey = await series(platform, { ...range, keyId: a1 });
    expect(byKey.data.map((p: any) => [p.time, p.requests, p.cost])).toEqual([
      [isoOf(D0), 3, 10],
      [isoOf(D0 + DAY_MS), 1, 2],
    ]);
    const both = await series(platform, { ...range, route: "POST /v1/query", outcome: "valid", groupBy: "tenant" });
    const [first, second] = [A, B].sort();
    expect(both.data.map((p: any) => [p.time, p.tenant, p.requests])).toEqual([
      [isoOf(D0), first, 2],
      [isoOf(D0), second, 2],
      [isoOf(D0 + DAY_MS), A, 1],
    ]);
  });

  it("a tenant admin sees its own tenant's rows, the same as a platform key naming it", async () => {
    for (const groupBy of ["route", "key", "tenant"]) {
      const query = { interval: "hour", from: isoOf(T0), to: isoOf(T0 + 2 * DAY_MS), groupBy };
      const own = await series(adminA, query);
      expect(own.data).toEqual(expectedSeries(samples.filter((x) => x.tenantId === A), { interval: "hour", ...RANGES.hour, from: T0, groupBy: groupBy as GroupBy }, prices));
      expect(own).toEqual(await series(platform, { ...query, tenantId: A }));
      expect(await series(adminA, { ...query, tenantId: A })).toEqual(own);
    }
  });

  it("defaults: interval=hour over the last 24 hours; minute 1 hour; day 30 days; to is now", async () => {
    const before = Date.now();
    const hour = await series(adminA, {});
    expect(hour).toMatchObject({ interval: "hour", groupBy: null, data: expect.any(Array) });
    const to = Date.parse(hour.to);
    expect(to).toBeGreaterThanOrEqual(before);
    expect(to).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(hour.from)).toBe(Math.floor((to - DAY_MS) / HOUR_MS) * HOUR_MS);
    const minute = await series(adminA, { interval: "minute" });
    expect(Date.parse(minute.to) - Date.parse(minute.from)).toBeGreaterThanOrEqual(HOUR_MS);
    expect(Date.parse(minute.to) - Date.parse(minute.from)).toBeLessThan(HOUR_MS + MINUTE_MS);
    const day = await series(adminA, { interval: "day", to: isoOf(D0 + 3 * DAY_MS) });
    expect(day.from).toBe(isoOf(D0 - 27 * DAY_MS));
    expect(day.data.map((p: any) => p.requests)).toEqual([5, 1]);
    // from alone: to is now.
    const fromOnly = await series(adminA, { interval: "day", from: isoOf(Date.now() - 10 * DAY_MS) });
    expect(Date.parse(fromOnly.to)).toBeGreaterThanOrEqual(before);
  });

  it("timestamps with an offset are read as the instant they name", async () => {
    const offset = new Date(T0 + 2 * HOUR_MS).toISOString().replace("Z", "+00:00");
    const a = await series(platform, { interval: "minute", from: isoOf(T0), to: isoOf(T0 + 2 * HOUR_MS), tenantId: A });
    const b = await series(platform, { interval: "minute", from: isoOf(T0).replace(/T(\d\d)/, (_m, h) => `T${String((Number(h) + 2) % 24).padStart(2, "0")}`).replace("Z", "+02:00"), to: offset, tenantId: A });
    expect(b.data).toEqual(a.data);
  });
});
