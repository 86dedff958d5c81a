// Alerts end to end, against a real HTTP receiver that verifies every delivery with the official
// `standardwebhooks` package: an episode is one firing and one resolved delivery, a run in
// between sends nothing, and a failing receiver gets the same message (same webhook-id) again
// after the backoff until it takes it.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { MAX_ATTEMPTS, RETRY_DELAYS_MS } from "../../src/insight/webhook-delivery.ts";
import { call, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { createRule, eventsOf, MIN, QUIET_DAY, Receiver, retire, run, seed } from "../support/webhooks.ts";

let platform: string;
const made: string[] = [];
beforeAll(async () => {
  platform = await platformKey();
});
// Later tests' runs evaluate every enabled rule: each test's rules are switched off after it.
afterEach(async () => {
  await retire(...made.splice(0));
});

async function tenantRule(metric: string, threshold: number, windowMinutes: number, rx: Receiver) {
  const t = await tenantWithAdmin(platform);
  const rule = await createRule(t.admin, { metric, threshold, windowMinutes, webhookUrl: rx.url }, rx);
  made.push(rule.id);
  return { ...t, rule, who: { tenantId: t.tenant.id, keyId: t.adminId } };
}

describe("an episode", () => {
  it("fires once (one verified delivery), stays quiet while firing, and resolves once", async () => {
    const rx = new Receiver();
    const { admin, rule, who, tenant } = await tenantRule("requests", 10, 5, rx);
    const t = QUIET_DAY + 10 * MIN + 30_000;
    await seed(who, [{ at: t - 3 * MIN, count: 6 }, { at: t - 5_000, count: 6 }]);

    const first = await run(t);
    expect(first).toMatchObject({ fired: 1, resolved: 0, delivered: 1, retrying: 0, failed: 0 });
    const [firing, ...none] = await rx.deliveries();
    expect(none).toEqual([]);
    expect(firing!.verified, firing!.error ?? "").toBe(true);
    expect(firing!.id).toMatch(/^msg_[0-9A-Za-z]{20}$/);
    expect(firing!.headers).toMatchObject({ "content-type": "application/json", "user-agent": "keygate-webhooks" });
    expect(firing!.signature).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(Math.abs(Number(firing!.timestamp) - Date.now() / 1000)).toBeLessThan(60);
    expect(JSON.parse(firing!.body)).toEqual({
      type: "alert.firing",
      timestamp: new Date(t).toISOString(),
      data: { rule: { id: rule.id, name: rule.name, metric: "requests" }, value: 12, threshold: 10, window: 5, tenantId: tenant.id },
    });
    const shown = await json(await call(`/v1/alerts/${rule.id}`, { key: admin }));
    expect(shown).toMatchObject({ state: "firing", lastValue: 12, lastEvaluatedAt: new Date(t).toISOString() });

    // Still over the threshold a minute later: no new event, nothing sent.
    expect(await run(t + MIN)).toMatchObject({ fired: 0, resolved: 0, delivered: 0 });
    expect(await rx.deliveries()).toHaveLength(1);

    // The seeded minutes leave the window: resolved, once.
    expect(await run(t + 8 * MIN)).toMatchObject({ fired: 0, resolved: 1, delivered: 1 });
    expect(await run(t + 9 * MIN)).toMatchObject({ fired: 0, resolved: 0, delivered: 0 });
    const all = await rx.deliveries();
    expect(all).toHaveLength(2);
    const resolved = all[1]!;
    expect(resolved.verified, resolved.error ?? "").toBe(true);
    expect(resolved.id).not.toBe(firing!.id);
    expect(JSON.parse(resolved.body)).toMatchObject({ type: "alert.resolved", timestamp: new Date(t + 8 * MIN).toISOString(), data: { value: 0, threshold: 10 } });

    const events = await json(await call(`/v1/alerts/${rule.id}/events`, { key: admin }));
    expect(events.data).toEqual([
      expect.objectContaining({ id: resolved.id, type: "alert.resolved", value: 0, delivery: "delivered", attempts: 1, lastStatus: 204, nextAttemptAt: null }),
      expect.objectContaining({ id: firing!.id, type: "alert.firing", value: 12, threshold: 10, windowMinutes: 5, delivery: "delivered", attempts: 1, lastStatus: 204 }),
    ]);
    expect(events.data[1].deliveredAt).toBe(new Date(t).toISOString());
    expect(events.nextCursor).toBeNull();

    // A new crossing is a new episode.
    await seed(who, [{ at: t + 10 * MIN, count: 11 }]);
    expect(await run(t + 10 * MIN + 1_000)).toMatchObject({ fired: 1, delivered: 1 });
    expect((await eventsOf(rule.id)).map((e) => e.type)).toEqual(["alert.firing", "alert.resolved", "alert.firing"]);
  });

  it("counts the last W whole minutes plus the current one, nothing older", async () => {
    const rx = new Receiver();
    const { admin, rule, who } = await tenantRule("requests", 1_000, 3, rx);
    const t = QUIET_DAY + 40 * MIN + 45_000; // 45 s into a minute
    const current = t - 45_000;
    await seed(who, [
      { at: current - 4 * MIN, count: 100 }, // one minute too old
      { at: current - 3 * MIN, count: 1 }, // the window's first minute
      { at: current - 1, count: 2 },
      { at: current + 10_000, count: 4 }, // the current minute
      { at: current + MIN, count: 1000 }, // the future is not counted
    ]);
    await run(t);
    expect(await json(await call(`/v1/alerts/${rule.id}`, { key: admin }))).toMatchObject({ lastValue: 7, state: "ok" });
    expect(await rx.deliveries()).toEqual([]);
  });
});

describe("retries", () => {
  it("a receiver failing twice gets the same message a third time, 1 and then 5 minutes later", async () => {
    const rx = new Receiver();
    await rx.configure({ fail: 2 });
    const { rule, who, admin } = await tenantRule("auth_failures", 3, 30, rx);
    const t = QUIET_DAY + 2 * 60 * MIN;
    await seed(who, [{ at: t - MIN, count: 5, outcome: "revoked", status: 401 }]);

    expect(await run(t)).toMatchObject({ fired: 1, delivered: 0, retrying: 1 });
    let [event] = await eventsOf(rule.id);
    expect(event).toMatchObject({ delivery: "pending", attempts: 1, last_status: 500, last_error: "HTTP 500", next_attempt_at: t + RETRY_DELAYS_MS[0] });

    expect(await run(t + 30_000)).toMatchObject({ delivered: 0, retrying: 0 }); // not due yet
    expect(await run(t + RETRY_DELAYS_MS[0])).toMatchObject({ fired: 0, retrying: 1 });
    [event] = await eventsOf(rule.id);
    expect(event).toMatchObject({ attempts: 2, next_attempt_at: t + RETRY_DELAYS_MS[0] + RETRY_DELAYS_MS[1] });
    expect(await run(t + RETRY_DELAYS_MS[0] + 2 * MIN)).toMatchObject({ delivered: 0, retrying: 0 });
    expect(await run(t + RETRY_DELAYS_MS[0] + RETRY_DELAYS_MS[1])).toMatchObject({ fired: 0, delivered: 1 });

    const deliveries = await rx.deliveries();
    expect(deliveries.map((d) => d.answered)).toEqual([500, 500, 204]);
    expect(new Set(deliveries.map((d) => d.id))).toEqual(new Set([event!.id]));
    expect(new Set(deliveries.map((d) => d.body)).size).toBe(1);
    for (const d of deliveries) expect(d.verified, d.error ?? "").toBe(true);
    expect(await eventsOf(rule.id)).toHaveLength(1); // a retry is never a new episode
    const [shown] = (await json(await call(`/v1/alerts/${rule.id}/events`, { key: admin }))).data;
    expect(shown).toMatchObject({ delivery: "delivered", attempts: 3, lastStatus: 204, lastError: null });
  });

  it(`after ${MAX_ATTEMPTS} failed attempts over about 10½ hours the event is failed, and nothing more is sent`, async () => {
    const rx = new Receiver();
    await rx.configure({ fail: 100, failStatus: 503 });
    const { rule, who } = await tenantRule("requests", 1, 1440, rx);
    const t = QUIET_DAY + 4 * 60 * MIN;
    await seed(who, [{ at: t - MIN, count: 2 }]);
    let at = t;
    await run(at);
    for (const delay of RETRY_DELAYS_MS) {
      at += delay;
      await run(at);
    }
    const [event] = await eventsOf(rule.id);
    expect(event).toMatchObject({ delivery: "failed", attempts: MAX_ATTEMPTS, last_status: 503, next_attempt_at: null });
    expect(await run(at + 2 * 60 * MIN)).toMatchObject({ fired: 0, resolved: 0, delivered: 0, retrying: 0, failed: 0 });
    expect((await rx.deliveries()).map((d) => d.answered)).toEqual(new Array(MAX_ATTEMPTS).fill(503));
  });
});

describe("the secret", () => {
  it("after rotate-secret, deliveries verify with the new secret and not with the old one", async () => {
    const rx = new Receiver();
    const { rule, who, admin } = await tenantRule("requests", 5, 10, rx);
    const rotated = await json(await call(`/v1/alerts/${rule.id}/rotate-secret`, { key: admin, method: "POST" }));
    expect(rotated.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(rotated.secret).not.toBe(rule.secret);
    const t = QUIET_DAY + 6 * 60 * MIN;
    await seed(who, [{ at: t - MIN, count: 5 }]);
    await run(t);
    const [withOld] = await rx.deliveries();
    expect(withOld).toMatchObject({ verified: false, error: "No matching signature found" });
    await rx.configure({ secret: rotated.secret });
    expect(await run(t + 12 * MIN)).toMatchObject({ resolved: 1 }); // its window is empty by then
    const [, withNew] = await rx.deliveries();
    expect(withNew).toMatchObject({ verified: true });
  });
});
