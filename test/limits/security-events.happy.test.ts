// The first use of a revoked, disabled or expired key, or of a key of an inactive tenant, per key
// and hour, is an audit entry: written by the key's object with its usage flush, never by the
// request that was refused.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { addSample, HOUR_MS, type Rollup } from "../../src/analytics/rollup.ts";
import { securityEvents } from "../../src/limits/security-events.ts";
import { auditRowsFor, patch } from "../support/admin.ts";
import { flushAnalytics } from "../support/analytics-flush.ts";
import { call, createKey, platformKey, storeCounts, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const usedWhile = async (keyId: string) => (await auditRowsFor(keyId)).filter((r) => r.action.includes(".used_while_"));

describe("security events", () => {
  it("a revoked key's uses make one audit entry per hour, written by the flush, not the request", async () => {
    const { admin, tenant } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    expect((await call(`/v1/keys/${k.id}/revoke`, { key: admin, body: { reason: "leaked" } })).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const res = await call("/v1/echo", { key: k.key });
      expect(res.status).toBe(401);
      expect(storeCounts(res)["d1-write"]).toBe(0);
    }
    expect(await usedWhile(k.id)).toEqual([]);
    await flushAnalytics([{ id: k.id, tenantId: tenant.id }]);
    const first = await usedWhile(k.id);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ action: "key.used_while_revoked", tenant_id: tenant.id, target_type: "key", target_id: k.id, actor_key_id: k.id });
    expect(JSON.stringify(first[0])).not.toContain(k.key);

    for (let i = 0; i < 3; i++) await call("/v1/echo", { key: k.key });
    await flushAnalytics([{ id: k.id, tenantId: tenant.id }]);
    expect(await usedWhile(k.id)).toHaveLength(1);
  });

  it("disabled keys and inactive tenants too, each once", async () => {
    const { admin, tenant } = await tenantWithAdmin(platform);
    const off = await createKey(admin, { scopes: ["query"] });
    expect((await patch(`/v1/keys/${off.id}`, admin, { enabled: false })).status).toBe(200);
    const other = await tenantWithAdmin(platform);
    const sleeper = await createKey(other.admin, { scopes: ["query"] });
    expect((await patch(`/v1/tenants/${other.tenant.id}`, platform, { active: false })).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      await call("/v1/echo", { key: off.key });
      await call("/v1/echo", { key: sleeper.key });
    }
    await flushAnalytics([
      { id: off.id, tenantId: tenant.id },
      { id: sleeper.id, tenantId: other.tenant.id },
    ]);
    expect((await usedWhile(off.id)).map((r) => r.action)).toEqual(["key.used_while_disabled"]);
    expect((await usedWhile(sleeper.id)).map((r) => r.action)).toEqual(["tenant.used_while_inactive"]);
    const row = await env.DB.prepare("SELECT actor_key_id FROM audit_log WHERE target_id = ? AND action = 'tenant.used_while_inactive'").bind(sleeper.id).first();
    expect(row).toEqual({ actor_key_id: sleeper.id });
  });

  it("one event per kind and hour, the next hour again", () => {
    const rows: Rollup = {};
    const t0 = Date.UTC(2026, 10, 30, 9, 5);
    for (const at of [t0, t0 + 60_000, t0 + HOUR_MS]) addSample(rows, { at, route: "GET /v1/echo", outcome: "revoked", status: 401, latencyMs: 1, cost: 0 });
    addSample(rows, { at: t0, route: "GET /v1/echo", outcome: "valid", status: 200, latencyMs: 1, cost: 1 });
    const audited: Record<string, number> = {};
    expect(securityEvents(rows, audited).map((e) => e.at)).toEqual([t0, t0 + HOUR_MS]);
    expect(securityEvents(rows, audited)).toEqual([]);
  });
});
