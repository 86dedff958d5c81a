// What an attacker tries with alert rules: reach another tenant's rules or events (the same 404 as
// a rule that does not exist, nothing changed), make its rules count someone else's traffic, read a
// signing secret anywhere but the one response that made it, fire one episode twice by running
// evaluations side by side, or use a redirect to send the gateway elsewhere.
import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { auditRowsFor, expectProblem, patch } from "../support/admin.ts";
import { call, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
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

const rulesRow = (id: string) => env.DB.prepare("SELECT * FROM alert_rules WHERE id = ?").bind(id).first();

describe("tenant isolation", () => {
  it("a tenant admin cannot see, list, change, rotate, delete or read the events of another tenant's rule or a platform rule", async () => {
    const a = await tenantWithAdmin(platform);
    const b = await tenantWithAdmin(platform);
    const theirs = await createRule(b.admin, { metric: "requests", threshold: 1, windowMinutes: 5, webhookUrl: new Receiver().url });
    const wide = await createRule(platform, { metric: "requests", threshold: 1e12, windowMinutes: 5, webhookUrl: new Receiver().url });
    made.push(theirs.id, wide.id);
    for (const target of [theirs, wide]) {
      const before = await rulesRow(target.id);
      const attempts = [
        call(`/v1/alerts/${target.id}`, { key: a.admin }),
        patch(`/v1/alerts/${target.id}`, a.admin, { webhookUrl: "https://attacker.example/steal", threshold: 0 }),
        call(`/v1/alerts/${target.id}`, { key: a.admin, method: "DELETE" }),
        call(`/v1/alerts/${target.id}/rotate-secret`, { key: a.admin, method: "POST" }),
        call(`/v1/alerts/${target.id}/events`, { key: a.admin }),
      ];
      for (const res of await Promise.all(attempts)) {
        const problem = await expectProblem(res, 404, "not-found");
        expect(problem.detail).toBe("No such alert rule.");
      }
      expect(await rulesRow(target.id)).toEqual(before);
      expect((await auditRowsFor(target.id)).map((r) => r.action)).toEqual(["alert.create"]);
    }
    const list = await json(await call("/v1/alerts?limit=100", { key: a.admin }));
    expect(list.data.map((r: any) => r.id)).not.toContain(theirs.id);
    expect(list.data.map((r: any) => r.id)).not.toContain(wide.id);
    await expectProblem(await call(`/v1/alerts?tenantId=${b.tenant.id}`, { key: a.admin }), 404, "not-found");
    // Nor make a rule that watches B, or everyone.
    await expectProblem(await call("/v1/alerts", { key: a.admin, body: { metric: "requests", threshold: 1, windowMinutes: 5, webhookUrl: new Receiver().url, name: "spy", tenantId: b.tenant.id } }), 404, "not-found");
    const nulled = await call("/v1/alerts", { key: a.admin, body: { metric: "requests", threshold: 1, windowMinutes: 5, webhookUrl: new Receiver().url, name: "spy", tenantId: null } });
    expect(nulled.status).toBe(422);
    const own = await createRule(a.admin, { metric: "requests", threshold: 1, windowMinutes: 5, webhookUrl: new Receiver().url });
    made.push(own.id);
    expect(own.tenantId).toBe(a.tenant.id);
  });

  it("a tenant's rules count only its own traffic: not another tenant's, not keyless requests", async () => {
    const a = await tenantWithAdmin(platform);
    const b = await tenantWithAdmin(platform);
    const rxA = new Receiver();
    const rxB = new Receiver();
    const t = QUIET_DAY + 2 * DAY + 7 * MIN;
    await seed({ tenantId: b.tenant.id, keyId: b.adminId }, [
      { at: t - MIN, count: 50 },
      { at: t - MIN, count: 20, outcome: "revoked", status: 401 },
    ]);
    await seed({ tenantId: "", keyId: "" }, [{ at: t - MIN, count: 30, outcome: "unknown_key", status: 401, route: "(unauthenticated)", cost: 0 }]);
    await seed({ tenantId: a.tenant.id, keyId: a.adminId }, [{ at: t - MIN, count: 1 }]);
    const ruleA = await createRule(a.admin, { metric: "requests", threshold: 10, windowMinutes: 5, webhookUrl: rxA.url }, rxA);
    const authA = await createRule(a.admin, { metric: "auth_failures", threshold: 1, windowMinutes: 5, webhookUrl: rxA.url }, rxA);
    const ruleB = await createRule(b.admin, { metric: "requests", threshold: 10, windowMinutes: 5, webhookUrl: rxB.url }, rxB);
    made.push(ruleA.id, authA.id, ruleB.id);
    await run(t);
    expect(await json(await call(`/v1/alerts/${ruleA.id}`, { key: a.admin }))).toMatchObject({ lastValue: 1, state: "ok" });
    expect(await json(await call(`/v1/alerts/${authA.id}`, { key: a.admin }))).toMatchObject({ lastValue: 0, state: "ok" });
    expect(await json(await call(`/v1/alerts/${ruleB.id}`, { key: b.admin }))).toMatchObject({ lastValue: 70, state: "firing" });
    expect(await rxA.deliveries()).toEqual([]);
    const [toB] = await rxB.deliveries();
    expect(JSON.parse(toB!.body).data.tenantId).toBe(b.tenant.id);
  });
});

describe("the signing secret", () => {
  it("is in the create and rotate responses only: never in get, list, events, audit, webhook bodies or logs", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const { tenant, adminId } = await tenantWithAdmin(platform);
    const rx = new Receiver();
    await rx.configure({ fail: 1 });
    // A platform rule for the second tenant, so platform and tenant views are both looked at.
    const rule = await createRule(platform, { tenantId: tenant.id, metric: "requests", threshold: 1, windowMinutes: 5, webhookUrl: rx.url }, rx);
    made.push(rule.id);
    const rotated = await json(await call(`/v1/alerts/${rule.id}/rotate-secret`, { key: platform, method: "POST" }));
    await patch(`/v1/alerts/${rule.id}`, platform, { name: "renamed" });
    const secrets = [rule.secret, rotated.secret];
    const logged: string[] = [];
    for (const m of ["log", "info", "warn", "error"] as const) vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void logged.push(a.map(String).join(" ")));
    const t = QUIET_DAY + 3 * DAY;
    await seed({ tenantId: tenant.id, keyId: adminId }, [{ at: t, count: 2 }]);
    await run(t + 1_000); // fails once: a retry is logged
    await run(t + 2 * MIN); // delivered
    vi.restoreAllMocks();
    expect(logged.join("\n")).toContain("alert.delivery_retrying");

    const seen = [
      await (await call(`/v1/alerts/${rule.id}`, { key: platform })).text(),
      await (await call("/v1/alerts?limit=100", { key: platform })).text(),
      await (await call(`/v1/alerts?tenantId=${tenant.id}`, { key: platform })).text(),
      await (await call(`/v1/alerts/${rule.id}/events`, { key: platform })).text(),
      await (await call(`/v1/audit?targetId=${rule.id}`, { key: platform })).text(),
      JSON.stringify(await auditRowsFor(rule.id)),
      (await rx.deliveries()).map((d) => d.body + JSON.stringify(d.headers)).join("\n"),
      logged.join("\n"),
    ];
    expect(seen[3]).toContain("alert.firing");
    for (const secret of secrets) {
      const raw = secret.slice("whsec_".length);
      for (const text of seen) {
        expect(text).not.toContain(raw);
        expect(text).not.toContain("whsec_");
      }
    }
    // A tenant admin elsewhere cannot get it from the rotate route either.
    await expectProblem(await call(`/v1/alerts/${rule.id}/rotate-secret`, { key: admin, method: "POST" }), 404, "not-found");
    expect((await rulesRow(rule.id))!.secret).toBe(rotated.secret);
  });
});

describe("episodes under concurrency", () => {
  it("two runs side by side record one firing event and deliver it once", async () => {
    const { admin, tenant, adminId } = await tenantWithAdmin(platform);
    const rx = new Receiver();
    const rule = await createRule(admin, { metric: "requests", threshold: 3, windowMinutes: 5, webhookUrl: rx.url }, rx);
    made.push(rule.id);
    const t = QUIET_DAY + 4 * DAY;
    await seed({ tenantId: tenant.id, keyId: adminId }, [{ at: t, count: 5 }]);
    const reports = await Promise.all([run(t + 1_000), run(t + 1_000), run(t + 1_000)]);
    expect(reports.reduce((n, r) => n + r.fired, 0)).toBe(1);
    expect(await eventsOf(rule.id)).toHaveLength(1);
    expect(await rx.deliveries()).toHaveLength(1);
    const resolves = await Promise.all([run(t + 10 * MIN), run(t + 10 * MIN)]);
    expect(resolves.reduce((n, r) => n + r.resolved, 0)).toBe(1);
    expect((await eventsOf(rule.id)).map((e) => e.type)).toEqual(["alert.firing", "alert.resolved"]);
    expect((await rx.deliveries()).map((d) => d.verified)).toEqual([true, true]);
  });
});

describe("the receiver's answers", () => {
  it("a redirect is not followed: it counts as a failed attempt, retried at the same URL", async () => {
    const { admin, tenant, adminId } = await tenantWithAdmin(platform);
    const rx = new Receiver();
    await rx.configure({ redirect: 1 });
    const rule = await createRule(admin, { metric: "requests", threshold: 1, windowMinutes: 30, webhookUrl: rx.url }, rx);
    made.push(rule.id);
    const t = QUIET_DAY + 5 * DAY;
    await seed({ tenantId: tenant.id, keyId: adminId }, [{ at: t, count: 2 }]);
    expect(await run(t + 1_000)).toMatchObject({ delivered: 0, retrying: 1 });
    const [event] = await eventsOf(rule.id);
    expect(event).toMatchObject({ delivery: "pending", last_status: 302, last_error: "HTTP 302: redirects are not followed" });
    const redirected = new Receiver(`${rx.name}-redirected`); // where the 302 pointed
    expect(await redirected.deliveries()).toEqual([]);
    expect(await run(t + 1_000 + MIN)).toMatchObject({ delivered: 1 });
    expect((await rx.deliveries()).map((d) => d.answered)).toEqual([302, 204]);
  });

  it("a receiver that does not answer in time is a failed attempt, not a stuck run", async () => {
    const { admin, tenant, adminId } = await tenantWithAdmin(platform);
    const rx = new Receiver();
    await rx.configure({ delayMs: 2_000 });
    const rule = await createRule(admin, { metric: "requests", threshold: 1, windowMinutes: 30, webhookUrl: rx.url }, rx);
    made.push(rule.id);
    const t = QUIET_DAY + 6 * DAY;
    await seed({ tenantId: tenant.id, keyId: adminId }, [{ at: t, count: 2 }]);
    const started = Date.now();
    expect(await run(t + 1_000, { timeoutMs: 300 })).toMatchObject({ delivered: 0, retrying: 1 });
    expect(Date.now() - started).toBeLessThan(1_500);
    const [event] = await eventsOf(rule.id);
    expect(event).toMatchObject({ delivery: "pending", attempts: 1, last_status: null, last_error: "no answer within 0.3 s" });
  });
});
