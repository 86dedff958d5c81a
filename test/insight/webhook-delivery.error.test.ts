// Deliveries that cannot be made: a receiver nobody listens on (retried, the URL's path kept out
// of the error and the log), a rule deleted with a retry pending (nothing more is sent), a URL
// that production does not allow (failed at once, never sent), and an evaluation that fails
// (retries still go out).
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { RETRY_DELAYS_MS } from "../../src/insight/webhook-delivery.ts";
import { runAlerts } from "../../src/insight/alert-run.ts";
import { faultyD1, testVars, withEnv } from "../support/faults.ts";
import { call, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { createRule, eventsOf, MIN, QUIET_DAY, Receiver, retire, run, seed } from "../support/webhooks.ts";

const DAY = 24 * 60 * MIN;
let platform: string;
const made: string[] = [];
beforeAll(async () => {
  platform = await platformKey();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await retire(...made.splice(0));
});

async function firingRule(webhookUrl: string, at: number, rx?: Receiver) {
  const { admin, tenant, adminId } = await tenantWithAdmin(platform);
  const rule = await createRule(admin, { metric: "requests", threshold: 1, windowMinutes: 60, webhookUrl }, rx);
  made.push(rule.id);
  await seed({ tenantId: tenant.id, keyId: adminId }, [{ at, count: 3 }]);
  return { rule, admin };
}

describe("undeliverable webhooks", () => {
  it("no one listening: a failed attempt without a status, retried; the error and log name the origin only", async () => {
    const t = QUIET_DAY + 10 * DAY;
    const url = `${testVars.ORIGIN_DOWN_URL}/hooks/secret-token-in-path`;
    const { rule } = await firingRule(url, t);
    const logged: string[] = [];
    vi.spyOn(console, "warn").mockImplementation((...a: unknown[]) => void logged.push(a.map(String).join(" ")));
    expect(await run(t + 1_000)).toMatchObject({ fired: 1, delivered: 0, retrying: 1 });
    const [event] = await eventsOf(rule.id);
    expect(event).toMatchObject({ delivery: "pending", attempts: 1, last_status: null, next_attempt_at: t + 1_000 + RETRY_DELAYS_MS[0] });
    expect(event.last_error).toMatch(/^could not connect: /);
    expect(event.last_error).not.toContain("secret-token-in-path");
    const line = logged.find((l) => l.includes("alert.delivery_retrying"));
    expect(line).toBeDefined();
    expect(line).toContain(`"receiver":"${new URL(url).origin}"`);
    expect(logged.join("\n")).not.toContain("secret-token-in-path");
  });

  it("a rule deleted while a retry is pending: its events go with it and nothing more is sent", async () => {
    const rx = new Receiver();
    await rx.configure({ fail: 1 });
    const t = QUIET_DAY + 11 * DAY;
    const { rule, admin } = await firingRule(rx.url, t, rx);
    await run(t + 1_000);
    expect(await eventsOf(rule.id)).toHaveLength(1);
    expect((await call(`/v1/alerts/${rule.id}`, { key: admin, method: "DELETE" })).status).toBe(200);
    expect(await eventsOf(rule.id)).toEqual([]);
    expect(await run(t + 1_000 + RETRY_DELAYS_MS[0])).toMatchObject({ delivered: 0, retrying: 0, failed: 0 });
    expect((await rx.deliveries()).map((d) => d.answered)).toEqual([500]);
  });

  it("a URL production does not allow (a rule made outside it) is failed at once and never sent", async () => {
    const rx = new Receiver();
    const t = QUIET_DAY + 12 * DAY;
    const { rule } = await firingRule(rx.url, t, rx);
    vi.spyOn(console, "error").mockImplementation(() => {});
    const report = await runAlerts(withEnv({ ENVIRONMENT: "production" }), { now: t + 1_000 });
    expect(report).toMatchObject({ fired: 1, delivered: 0, failed: 1 });
    const [event] = await eventsOf(rule.id);
    expect(event).toMatchObject({ delivery: "failed", attempts: 1, last_status: null });
    expect(event.last_error).toMatch(/^webhook URL must be https/);
    expect(await rx.deliveries()).toEqual([]);
  });

  it("when evaluation fails, due retries are still sent", async () => {
    const rx = new Receiver();
    await rx.configure({ fail: 1 });
    const t = QUIET_DAY + 13 * DAY;
    const { rule } = await firingRule(rx.url, t, rx);
    await run(t + 1_000);
    // The next run cannot read the rules to evaluate (the read that orders them by last evaluation).
    const { db } = faultyD1((c) => (c.kind === "read" && /last_evaluated_at["\s]+asc/i.test(c.sql) ? "fail" : "ok"));
    const errors: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void errors.push(a.map(String).join(" ")));
    const report = await runAlerts(withEnv({ DB: db }), { now: t + 1_000 + RETRY_DELAYS_MS[0] });
    expect(report).toMatchObject({ evaluated: 0, delivered: 1 });
    expect(errors.join("\n")).toContain("alerts.evaluation_failed");
    expect((await rx.deliveries()).map((d) => d.answered)).toEqual([500, 204]);
    expect((await eventsOf(rule.id))[0]).toMatchObject({ delivery: "delivered", attempts: 2 });
  });
});
