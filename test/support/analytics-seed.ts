// Traffic for the analytics suites (not a test file): samples written to the rollups as the keys'
// objects flush them, a reference that sums the same samples in plain JS, and failures per network.
import { env } from "cloudflare:test";
import { bucketOf, emptyHistogram, percentiles } from "../../src/core/latency-histogram.ts";
import { addSample, DAY_MS, floorTo, HOUR_MS, statusClassOf, type Rollup, type Sample } from "../../src/analytics/rollup.ts";
import { INTERVAL_MS, rollupStatements, type Interval } from "../../src/analytics/rollup-statements.ts";

/** A sample and who it belongs to ("" for requests no key could be named for). */
export type Seeded = Sample & { tenantId: string; keyId: string };

/** A day far from now and from every other suite's traffic: a range over it holds only this suite's rows. */
export function privateDay(): number {
  return Date.UTC(2040, 0, 1) + Math.floor(Math.random() * 100_000) * DAY_MS;
}

export async function seed(samples: readonly Seeded[]): Promise<void> {
  const byWho = new Map<string, { tenantId: string; keyId: string; rollup: Rollup }>();
  for (const s of samples) {
    const who = `${s.tenantId}|${s.keyId}`;
    const entry = byWho.get(who) ?? { tenantId: s.tenantId, keyId: s.keyId, rollup: {} };
    addSample(entry.rollup, s);
    byWho.set(who, entry);
  }
  for (const { tenantId, keyId, rollup } of byWho.values()) await env.DB.batch(rollupStatements(env.DB, { tenantId, keyId }, rollup));
}

export type GroupBy = "outcome" | "route" | "key" | "tenant" | "status";

const groupOf = (s: Seeded, g: GroupBy): string | null =>
  g === "outcome" ? s.outcome : g === "route" ? s.route : g === "key" ? s.keyId || null : g === "tenant" ? s.tenantId || null : `${statusClassOf(s.status)}xx`;

/**
 * What GET /v1/analytics should answer for these samples, summed here without SQL: buckets with
 * start ≥ floor(from) and < to, sorted by time then group, USD at each tenant's price per 1k tokens.
 */
export function expectedSeries(
  samples: readonly Seeded[],
  q: { interval: Interval; from: number; to: number; groupBy?: GroupBy },
  pricePer1k: Record<string, number>,
): Record<string, unknown>[] {
  const unit = INTERVAL_MS[q.interval];
  const from = floorTo(q.from, unit);
  const points = new Map<string, { time: number; group: string | null; requests: number; cost: number; usd: number; bytes: number; hist: number[] }>();
  for (const s of samples) {
    const time = floorTo(s.at, unit);
    if (time < from || time >= q.to) continue;
    const group = q.groupBy ? groupOf(s, q.groupBy) : null;
    const id = `${time}|${group}`;
    const p = points.get(id) ?? { time, group, requests: 0, cost: 0, usd: 0, bytes: 0, hist: emptyHistogram() };
    p.requests++;
    p.cost += s.cost;
    p.usd += (s.cost * (pricePer1k[s.tenantId] ?? 0)) / 1000;
    p.bytes += s.bytes ?? 0;
    if (s.latencyMs !== null) p.hist[bucketOf(s.latencyMs)]!++;
    points.set(id, p);
  }
  const order = (a: string | null, b: string | null) => ((a ?? "") < (b ?? "") ? -1 : (a ?? "") > (b ?? "") ? 1 : 0);
  return [...points.values()]
    .sort((a, b) => a.time - b.time || order(a.group, b.group))
    .map((p) => ({
      time: new Date(p.time).toISOString(),
      ...(q.groupBy ? { [q.groupBy]: p.group } : {}),
      requests: p.requests,
      cost: p.cost,
      costUsd: Math.round(p.usd * 1e9) / 1e9,
      bytes: p.bytes,
      latencyMs: percentiles(p.hist),
    }));
}

/** Failed authentications per network and hour, as the isolates flush them. */
export async function seedOffenders(rows: { at: number; network: string; outcome: string; requests: number }[]): Promise<void> {
  const sql =
    "INSERT INTO auth_failure_networks (bucket, network, outcome, requests) VALUES (?, ?, ?, ?) " +
    "ON CONFLICT (bucket, network, outcome) DO UPDATE SET requests = requests + excluded.requests";
  await env.DB.batch(rows.map((r) => env.DB.prepare(sql).bind(floorTo(r.at, HOUR_MS), r.network, r.outcome, r.requests)));
}

export const isoOf = (ms: number) => new Date(ms).toISOString();
