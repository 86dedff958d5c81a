// Seeding the D1 rollups and reading /v1/metrics, shared by the metrics suites (not a test file).
import { env } from "cloudflare:test";
import { expect } from "vitest";
import { addSample, type Rollup, type Sample } from "../../src/analytics/rollup.ts";
import { rollupStatements } from "../../src/analytics/rollup-statements.ts";
import { call } from "./gateway.ts";
import { parseScrape, type Scrape } from "./prometheus.ts";

export type Seed = { tenantId: string; keyId: string; samples: Sample[] };

/** Writes the samples as the keys' objects would: minute, hour and day rows, added to. */
export async function seedTraffic(seeds: readonly Seed[]): Promise<void> {
  for (const { tenantId, keyId, samples } of seeds) {
    const rollup: Rollup = {};
    for (const s of samples) addSample(rollup, s);
    await env.DB.batch(rollupStatements(env.DB, { tenantId, keyId }, rollup));
  }
}

/** `n` samples of one route and outcome, one per latency, at the given times in turn. */
export function samples(route: string, outcome: Sample["outcome"], status: number, cost: number, latencies: number[], at: number[]): Sample[] {
  return latencies.map((latencyMs, i) => ({ route, outcome, status, cost, latencyMs, at: at[i % at.length]! }));
}

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** GET /v1/metrics with this key: a 200 in the exposition format, parsed. */
export async function scrape(key: string): Promise<Scrape> {
  const res = await call("/v1/metrics", { key });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get("content-type")).toBe(METRICS_CONTENT_TYPE);
  return parseScrape(text);
}
