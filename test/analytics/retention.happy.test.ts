// The cron sweep drops minute rollups past 48 h and hour rollups (and offenders' hourly counts)
// past 90 days; day rollups stay. A shorter setting keeps the floor.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { addSample, type Rollup } from "../../src/analytics/rollup.ts";
import { rollupStatements } from "../../src/analytics/rollup-statements.ts";
import { hourRetentionMs, minuteRetentionMs } from "../../src/config/settings.ts";
import { sweep } from "../../src/jobs/sweep.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function seedAt(keyId: string, at: number) {
  const rows: Rollup = {};
  addSample(rows, { at, route: "GET /v1/echo", outcome: "valid", status: 200, latencyMs: 4, cost: 1 });
  await env.DB.batch(rollupStatements(env.DB, { tenantId: "ten_retention", keyId }, rows));
  await env.DB.prepare("INSERT INTO auth_failure_networks (bucket, network, outcome, requests) VALUES (?, ?, 'unknown_key', 1)")
    .bind(at - (at % HOUR), `${keyId}/24`)
    .run();
}

const count = async (table: string, where: string, ...binds: unknown[]) =>
  (await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).bind(...binds).first<{ n: number }>())!.n;

describe("analytics retention", () => {
  it("prunes each table past its retention and keeps day rows", async () => {
    const now = Date.UTC(2026, 10, 30, 12);
    await seedAt("key_recent", now - 47 * HOUR);
    await seedAt("key_days_old", now - 3 * DAY);
    await seedAt("key_months_old", now - 100 * DAY);
    const result = await sweep(env, now);
    expect(result.prunedRollups).toBeGreaterThanOrEqual(4);
    expect(await count("analytics_minute", "key_id = 'key_recent'")).toBe(1);
    expect(await count("analytics_minute", "key_id IN ('key_days_old', 'key_months_old')")).toBe(0);
    expect(await count("analytics_hour", "key_id IN ('key_recent', 'key_days_old')")).toBe(2);
    expect(await count("analytics_hour", "key_id = 'key_months_old'")).toBe(0);
    expect(await count("analytics_day", "key_id IN ('key_recent', 'key_days_old', 'key_months_old')")).toBe(3);
    expect(await count("auth_failure_networks", "network = 'key_months_old/24'")).toBe(0);
    expect(await count("auth_failure_networks", "network = 'key_days_old/24'")).toBe(1);
  });

  it("keeps at least 48 hours and 90 days whatever is configured", () => {
    expect(minuteRetentionMs(undefined)).toBe(48 * HOUR);
    expect(minuteRetentionMs("72")).toBe(72 * HOUR);
    expect(minuteRetentionMs("1")).toBe(48 * HOUR);
    expect(minuteRetentionMs("lots")).toBe(48 * HOUR);
    expect(hourRetentionMs("365")).toBe(365 * DAY);
    expect(hourRetentionMs("30")).toBe(90 * DAY);
  });
});
