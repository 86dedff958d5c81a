// Alert rules through the API (create, read, list, change, delete, with their audit rows), and
// every metric computed from seeded rollups exactly as README "Alerts" defines it.
import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS } from "../../src/analytics/rollup.ts";
import { auditRowsFor, patch } from "../support/admin.ts";
import { call, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { createRule, eventsOf, MIN, QUIET_DAY, Receiver, retire, run, seed } from "../support/webhooks.ts";

let platform: string;
const made: string[] = [];
beforeAll(async () => {
  platform = await platformKey();
});
afterEach(async () => {
  await retire(...made.splice(0));
});

const hook = new Receiver().url;

describe("the rules API", () => {
  it("create → get → list → update → delete, each change audited without the secret", async () => {
    const { admin, tenant } = await tenantWithAdmin(platform);
    const created = await createRule(admin, { name: "auth spike", metric: "auth_failures", threshold: 50, windowMinutes: 5, webhookUrl: `${hook}/path?token=abc` });
    expect(created).toMatchObject({
      id: expect.stringMatching(/^alr_[0-9A-Za-z]{20}$/),
      tenantId: tenant.id,
      name: "auth spike",
      metric: "auth_failures",
      threshold: 50,
      windowMinutes: 5,
      enabled: true,
      state: "ok",
      lastValue: null,
      lastEvaluatedAt: null,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{32}$/),
    });
    expect(atob(created.secret.slice("whsec_".length))).toHaveLength(24);

    const got = await json(await call(`/v1/alerts/${created.id}`, { key: admin }));
    const { secret: _secret, ...withoutSecret } = created;
    expect(got).toEqual(withoutSecret);

    const list = await json(await call("/v1/alerts", { key: admin }));
    expect(list).toEqual({ data: [withoutSecret], nextCursor: null });

    const updated = await patch(`/v1/alerts/${created.id}`, admin, { threshold: 10.5, enabled: false, webhookUrl: "https://hooks.example.com/new/secret-path" });
    expect(updated.status).toBe(200);
    expect(await json(updated)).toMatchObject({ threshold: 10.5, enabled: false, webhookUrl: "https://hooks.example.com/new/secret-path", name: "auth spike" });
    expect(await json(await call(`/v1/alerts/${created.id}`, { key: admin }))).toMatchObject({ threshold: 10.5, enabled: false });

    const deleted = await call(`/v1/alerts/${created.id}`, { key: admin, method: "DELETE" });
    expect(deleted.status).toBe(200);
    expect(await json(deleted)).toMatchObject({ id: created.id, name: "auth spike" });
    expect((await call(`/v1/alerts/${created.id}`, { key: admin })).status).toBe(404);

    const audit = await auditRowsFor(created.id);
    expect(audit.map((a) => [a.action, a.target_type, a.tenant_id])).toEqual([
      ["alert.create", "alert", tenant.id],
      ["alert.update", "alert", tenant.id],
      ["alert.delete", "alert", tenant.id],
    ]);
    expect(JSON.parse(audit[0].details)).toEqual({ name: "auth spike", metric: "auth_failures", threshold: 50, windowMinutes: 5, webhook: new URL(hook).origin, enabled: true, tenantId: tenant.id });
    expect(JSON.parse(audit[1].details)).toEqual({ threshold: 10.5, enabled: false, webhook: "https://hooks.example.com" });
    // The audit API shows them to the tenant's admin like any other entry.
    const trail = await json(await call(`/v1/audit?targetId=${created.id}`, { key: admin }));
    expect(trail.data.map((a: any) => a.action)).toEqual(["alert.delete", "alert.update", "alert.create"]);
  });

  it("a platform key makes platform rules (all traffic) or rules for any tenant; tenant admins see only their tenant's", async () => {
    const a = await tenantWithAdmin(platform);
    const wide = await createRule(platform, { metric: "requests", threshold: 1e9, windowMinutes: 1, webhookUrl: hook });
    const forA = await createRule(platform, { tenantId: a.tenant.id, metric: "requests", threshold: 1e9, windowMinutes: 1, webhookUrl: hook });
    const own = await createRule(a.admin, { tenantId: a.tenant.id, metric: "requests", threshold: 1e9, windowMinutes: 1, webhookUrl: hook });
    made.push(wide.id, forA.id, own.id);
    expect(wide.tenantId).toBeNull();
    expect(forA.tenantId).toBe(a.tenant.id);
    // The platform rule's trail is the acting key's tenant's.
    const me = await json(await call("/v1/auth/me", { key: platform }));
    expect((await auditRowsFor(wide.id))[0]).toMatchObject({ tenant_id: me.tenant.id, target_type: "alert" });

    const mine = await json(await call("/v1/alerts", { key: a.admin }));
    expect(mine.data.map((r: any) => r.id)).toEqual([own.id, forA.id]);
    const all = await json(await call("/v1/alerts?limit=100", { key: platform }));
    expect(all.data.map((r: any) => r.id)).toEqual(expect.arrayContaining([wide.id, forA.id, own.id]));
    const onlyA = await json(await call(`/v1/alerts?tenantId=${a.tenant.id}`, { key: platform }));
    expect(onlyA.data.map((r: any) => r.id)).toEqual([own.id, forA.id]);
    expect((await call(`/v1/alerts/${wide.id}`, { key: a.admin })).status).toBe(404);
  });

  it("lists page newest first with nextCursor, and filter by state", async () => {
    const { admin, tenant, adminId } = await tenantWithAdmin(platform);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await createRule(admin, { metric: "requests", threshold: 5, windowMinutes: 1, webhookUrl: hook })).id);
    made.push(...ids);
    const first = await json(await call("/v1/alerts?limit=2", { key: admin }));
    expect(first.data.map((r: any) => r.id)).toEqual([ids[2], ids[1]]);
    expect(first.nextCursor).toBe(ids[1]);
    const second = await json(await call(`/v1/alerts?limit=2&cursor=${first.nextCursor}`, { key: admin }));
    expect(second).toMatchObject({ data: [expect.objectContaining({ id: ids[0] })], nextCursor: null });

    await patch(`/v1/alerts/${ids[0]}`, admin, { threshold: 1e9 });
    const t = QUIET_DAY + 3 * DAY_MS;
    await seed({ tenantId: tenant.id, keyId: adminId }, [{ at: t, count: 6 }]);
    await run(t + 1_000);
    const firing = await json(await call("/v1/alerts?state=firing", { key: admin }));
    expect(firing.data.map((r: any) => r.id)).toEqual([ids[2], ids[1]]);
    const ok = await json(await call("/v1/alerts?state=ok", { key: admin }));
    expect(ok.data.map((r: any) => r.id)).toEqual([ids[0]]);
  });

  it("a disabled rule is not evaluated and sends nothing", async () => {
    const rx = new Receiver();
    const { admin, tenant, adminId } = await tenantWithAdmin(platform);
    const rule = await createRule(admin, { metric: "requests", threshold: 1, windowMinutes: 5, webhookUrl: rx.url, enabled: false }, rx);
    made.push(rule.id);
    const t = QUIET_DAY + 4 * DAY_MS;
    await seed({ tenantId: tenant.id, keyId: adminId }, [{ at: t, count: 3 }]);
    await run(t + 1_000);
    expect(await json(await call(`/v1/alerts/${rule.id}`, { key: admin }))).toMatchObject({ state: "ok", lastEvaluatedAt: null });
    expect(await eventsOf(rule.id)).toEqual([]);
    expect(await rx.deliveries()).toEqual([]);
  });
});

/** A tenant with one rule per metric (thresholds out of reach), evaluated once at `t`. */
async function valuesAt(t: number, windowMinutes: number, setUp: (who: { tenantId: string; keyId: string }) => Promise<void>, tenantBody = {}) {
  const { admin, tenant, adminId } = await tenantWithAdmin(platform, tenantBody);
  const who = { tenantId: tenant.id, keyId: adminId };
  await setUp(who);
  const rules: Record<string, string> = {};
  for (const metric of ["auth_failures", "rate_limited", "requests", "error_rate", "cost_usd", "usage_anomaly"]) {
    rules[metric] = (await createRule(admin, { metric, threshold: 1e12, windowMinutes, webhookUrl: hook })).id;
  }
  made.push(...Object.values(rules));
  await run(t);
  const values: Record<string, number> = {};
  for (const [metric, id] of Object.entries(rules)) values[metric] = (await json(await call(`/v1/alerts/${id}`, { key: admin }))).lastValue;
  return { values, who, tenant };
}

describe("metrics", () => {
  it("counts outcomes, status classes and cost over the window, priced at the tenant's own price", async () => {
    const t = QUIET_DAY + 5 * DAY_MS + 30 * MIN + 20_000;
    const { values } = await valuesAt(t, 10, async (who) => {
      await env.DB.prepare("UPDATE tenants SET price_per_1k_tokens = 0.5 WHERE id = ?").bind(who.tenantId).run();
      await seed(who, [
        { at: t - 9 * MIN, count: 20, cost: 5 },
        { at: t - 5 * MIN, count: 3, outcome: "rate_limited", status: 429, cost: 0 },
        { at: t - 4 * MIN, count: 2, outcome: "quota_exceeded", status: 429, cost: 0 },
        { at: t - 3 * MIN, count: 4, outcome: "revoked", status: 401, cost: 0 },
        { at: t - 2 * MIN, count: 1, outcome: "expired", status: 401, cost: 0 },
        { at: t - MIN, count: 5, outcome: "origin_error", status: 502, cost: 2 },
        { at: t - 11 * MIN, count: 1000, outcome: "revoked", status: 401 }, // before the window
      ]);
    });
    expect(values).toEqual({
      auth_failures: 5,
      rate_limited: 5,
      requests: 35,
      error_rate: Math.round((5 / 35) * 1e6) / 1e6,
      cost_usd: ((20 * 5 + 5 * 2) / 1000) * 0.5,
      usage_anomaly: 35, // no history: the baseline counts as 1
    });
  });

  it("cost_usd uses the plan's price when the tenant has none of its own", async () => {
    const t = QUIET_DAY + 6 * DAY_MS;
    const { values } = await valuesAt(t, 5, (who) => seed(who, [{ at: t - MIN, count: 10, cost: 100 }]), { plan: "pro" });
    expect(values.cost_usd).toBe((1000 / 1000) * 0.002);
    expect(values.error_rate).toBe(0);
  });

  it("usage_anomaly divides by the 7-day average of the same window, from hour rows scaled to the window", async () => {
    // A 60-minute window ending half past the hour overlaps two hour buckets each earlier day, so
    // each day's hour rows are scaled by 60 / 120.
    const hour = QUIET_DAY + 7 * DAY_MS + 14 * HOUR_MS;
    const t = hour + 30 * MIN;
    const { values } = await valuesAt(t, 60, async (who) => {
      const earlier = [];
      for (let d = 1; d <= 7; d++) earlier.push({ at: hour - d * DAY_MS + 5 * MIN, count: 10 }, { at: hour - d * DAY_MS - 20 * MIN, count: 4 });
      earlier.push({ at: hour - 8 * DAY_MS, count: 5000 }); // outside the 7 days
      earlier.push({ at: hour - DAY_MS + 3 * HOUR_MS, count: 5000 }); // another time of day
      await seed(who, [...earlier, { at: t - 10 * MIN, count: 49 }]);
    });
    // Baseline: (7 × (10 + 4)) × (60 / 120) ÷ 7 = 7 requests; now 49 → 7.
    expect(values.requests).toBe(49);
    expect(values.usage_anomaly).toBe(7);
  });

  it("without traffic every metric is 0 (error_rate too, not NaN)", async () => {
    const t = QUIET_DAY + 8 * DAY_MS;
    const { values } = await valuesAt(t, 1, async () => {});
    expect(values).toEqual({ auth_failures: 0, rate_limited: 0, requests: 0, error_rate: 0, cost_usd: 0, usage_anomaly: 0 });
  });

  it("a platform rule counts every tenant's traffic and keyless requests, each priced at its tenant's price", async () => {
    const t = QUIET_DAY + 20 * DAY_MS; // no other test's rows near it
    const a = await tenantWithAdmin(platform, { plan: "pro" });
    const b = await tenantWithAdmin(platform, { plan: "enterprise" });
    await seed({ tenantId: a.tenant.id, keyId: a.adminId }, [{ at: t - MIN, count: 10, cost: 100 }]);
    await seed({ tenantId: b.tenant.id, keyId: b.adminId }, [{ at: t - MIN, count: 5, cost: 200, status: 503, outcome: "gateway_error" }]);
    await seed({ tenantId: "", keyId: "" }, [{ at: t - MIN, count: 7, outcome: "unknown_key", status: 401, route: "(unauthenticated)", cost: 0 }]);
    const rules: Record<string, any> = {};
    for (const metric of ["auth_failures", "requests", "error_rate", "cost_usd"]) {
      rules[metric] = await createRule(platform, { metric, threshold: 1e12, windowMinutes: 5, webhookUrl: hook });
      made.push(rules[metric].id);
    }
    await run(t);
    const value = async (metric: string) => (await json(await call(`/v1/alerts/${rules[metric].id}`, { key: platform }))).lastValue;
    expect(await value("auth_failures")).toBe(7);
    expect(await value("requests")).toBe(22);
    expect(await value("error_rate")).toBe(Math.round((5 / 22) * 1e6) / 1e6);
    expect(await value("cost_usd")).toBe(Math.round(((1000 / 1000) * 0.002 + (1000 / 1000) * 0.001) * 1e6) / 1e6);
  });
});
