// Alert tests' helpers (not a test file): the webhook receiver (test/origins/webhook-receiver.ts)
// seen from inside workerd, rollup rows written the way the keys' objects flush them, and rules
// made through the API.
import { env } from "cloudflare:test";
import { expect } from "vitest";
import { rollupStatements } from "../../src/analytics/rollup-statements.ts";
import { addSample, DAY_MS, floorTo, type Rollup } from "../../src/analytics/rollup.ts";
import type { Outcome } from "../../src/analytics/outcome.ts";
import { runAlerts, type AlertRunOptions } from "../../src/insight/alert-run.ts";
import { call } from "./gateway.ts";

export const RECEIVER_URL = (env as unknown as { WEBHOOK_RECEIVER_URL: string }).WEBHOOK_RECEIVER_URL;

/** A day no test's real traffic reaches: windows there hold only what a test seeded. */
export const QUIET_DAY = floorTo(Date.now(), DAY_MS) + 30 * DAY_MS;
export const MIN = 60_000;

/** One delivery as the receiver recorded it. */
export type Delivery = {
  id: string | null;
  timestamp: string | null;
  signature: string | null;
  headers: Record<string, string>;
  body: string;
  verified: boolean;
  error: string | null;
  answered: number;
  receivedAt: number;
};

/** One channel of the receiver: its own URL, secret and failure plan. */
export class Receiver {
  readonly name: string;
  constructor(name = `ch-${crypto.randomUUID()}`) {
    this.name = name;
  }
  get url(): string {
    return `${RECEIVER_URL}/hooks/${this.name}`;
  }
  async configure(set: { secret?: string; fail?: number; failStatus?: number; redirect?: number; delayMs?: number }): Promise<void> {
    const res = await fetch(`${RECEIVER_URL}/control/${this.name}`, { method: "PUT", body: JSON.stringify(set) });
    expect(res.status).toBe(200);
    await res.body?.cancel();
  }
  async deliveries(): Promise<Delivery[]> {
    const res = await fetch(`${RECEIVER_URL}/control/${this.name}`);
    return ((await res.json()) as { deliveries: Delivery[] }).deliveries;
  }
}

export type Seed = { at: number; count?: number; outcome?: Outcome; status?: number; cost?: number; route?: string };

/** Adds the samples to D1's minute, hour and day rollups for this tenant and key. */
export async function seed(who: { tenantId: string; keyId: string }, samples: Seed[]): Promise<void> {
  const rollup: Rollup = {};
  for (const s of samples) {
    for (let i = 0; i < (s.count ?? 1); i++) {
      addSample(rollup, { at: s.at, route: s.route ?? "POST /v1/query", outcome: s.outcome ?? "valid", status: s.status ?? 200, latencyMs: 12, cost: s.cost ?? 1 });
    }
  }
  const statements = rollupStatements(env.DB, who, rollup);
  if (statements.length > 0) await env.DB.batch(statements);
}

export type RuleBody = { name?: string; tenantId?: string; metric: string; threshold: number; windowMinutes: number; webhookUrl: string; enabled?: boolean };

/** A rule made through the API; the receiver learns its secret. */
export async function createRule(key: string, body: RuleBody, receiver?: Receiver): Promise<any> {
  const res = await call("/v1/alerts", { key, body: { name: `rule-${crypto.randomUUID().slice(0, 8)}`, ...body } });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  const rule = JSON.parse(text);
  if (receiver) await receiver.configure({ secret: rule.secret });
  return rule;
}

/** runAlerts at `now` (evaluation and retry schedule; signatures carry the real clock). */
export function run(now: number, opts: Omit<AlertRunOptions, "now"> = {}) {
  return runAlerts(env, { now, ...opts });
}

export async function eventsOf(ruleId: string): Promise<any[]> {
  const { results } = await env.DB.prepare("SELECT * FROM alert_events WHERE rule_id = ? ORDER BY at, id").bind(ruleId).all();
  return results;
}

/** Switches rules off and ends their pending deliveries, so later runs in the same file leave them alone. */
export async function retire(...ruleIds: string[]): Promise<void> {
  for (const id of ruleIds) {
    await env.DB.batch([
      env.DB.prepare("UPDATE alert_rules SET enabled = 0 WHERE id = ?").bind(id),
      env.DB.prepare("UPDATE alert_events SET delivery = 'failed' WHERE rule_id = ? AND delivery = 'pending'").bind(id),
    ]);
  }
}
