// A key's and its tenant's network rules, through the real pipeline: CF-Connecting-IP only, deny
// wins, both levels apply, fail closed without an address, IPv4-mapped IPv6 as IPv4; a refusal is
// a 403 that charges nothing, counted as `forbidden`; and a change reaches an isolate that still
// holds the old rules within a lease, through the key's object.
import { beforeAll, describe, expect, it } from "vitest";
import { resetLeases } from "../../../src/limits/leases.ts";
import { expectProblem, patch } from "../../support/admin.ts";
import { flushAnalytics, totalsBy } from "../../support/analytics-flush.ts";
import { call, createKey, platformKey, tenantWithAdmin } from "../../support/gateway.ts";
import { changeElsewhere, untilRefused } from "../../support/elsewhere.ts";

let platform: string;
let admin: string;
let tenantId: string;
beforeAll(async () => {
  platform = await platformKey();
  ({ admin, tenant: { id: tenantId } } = await tenantWithAdmin(platform));
});

const from = (ip: string, extra: Record<string, string> = {}) => ({ "cf-connecting-ip": ip, ...extra });
const echo = (key: string, headers: Record<string, string>) => call("/v1/echo", { key, headers });

describe("network rules", () => {
  it("an allowlist admits its networks only, IPv4, IPv6 and IPv4-mapped alike; deny wins", async () => {
    const k = await createKey(admin, { scopes: ["query"], allowedIps: ["10.0.0.0/8", "2001:db8::/32"], deniedIps: ["10.9.0.0/16"] });
    expect((await echo(k.key, from("10.1.2.3"))).status).toBe(200);
    expect((await echo(k.key, from("2001:db8:1::5"))).status).toBe(200);
    expect((await echo(k.key, from("::ffff:10.1.2.3"))).status).toBe(200);
    const refused = await expectProblem(await echo(k.key, from("11.0.0.1")), 403, "ip-not-allowed");
    expect(JSON.stringify(refused)).not.toContain("10.0.0.0");
    await expectProblem(await echo(k.key, from("2001:db9::1")), 403, "ip-not-allowed");
    await expectProblem(await echo(k.key, from("10.9.1.1")), 403, "ip-not-allowed");
    await expectProblem(await echo(k.key, from("::ffff:10.9.1.1")), 403, "ip-not-allowed");
  });

  it("reads CF-Connecting-IP only, and refuses an allowlisted key with no usable address", async () => {
    const k = await createKey(admin, { scopes: ["query"], allowedIps: ["10.0.0.0/8"] });
    await expectProblem(await echo(k.key, from("11.0.0.1", { "x-forwarded-for": "10.1.2.3", "x-real-ip": "10.1.2.3" })), 403, "ip-not-allowed");
    for (const bad of ["", "unknown", "10.1.2", "010.1.2.3", "10.1.2.3, 10.1.2.4"]) {
      await expectProblem(await echo(k.key, from(bad)), 403, "ip-not-allowed");
    }
    // A denylist alone has nothing to deny without an address.
    const denyOnly = await createKey(admin, { scopes: ["query"], deniedIps: ["10.0.0.0/8"] });
    expect((await echo(denyOnly.key, from(""))).status).toBe(200);
  });

  it("a tenant's rules hold every key of the tenant, alongside the key's own", async () => {
    const t = await tenantWithAdmin(platform);
    const k = await createKey(t.admin, { scopes: ["query"], allowedIps: ["192.0.2.0/24", "198.51.100.0/24"] });
    expect((await patch(`/v1/tenants/${t.tenant.id}`, platform, { deniedIps: ["198.51.100.0/24"] })).status).toBe(200);
    expect((await echo(k.key, from("192.0.2.9"))).status).toBe(200);
    await expectProblem(await echo(k.key, from("198.51.100.7")), 403, "ip-not-allowed");
    // And a key without rules of its own.
    await expectProblem(await echo(t.admin, from("198.51.100.7")), 403, "ip-not-allowed");
    expect((await patch(`/v1/tenants/${t.tenant.id}`, platform, { deniedIps: null })).status).toBe(200);
    expect((await echo(k.key, from("198.51.100.7"))).status).toBe(200);
  });

  it("a refusal charges nothing and counts as forbidden", async () => {
    const k = await createKey(admin, { scopes: ["query"], allowedIps: ["10.0.0.0/8"], rateLimit: { capacity: 2, refillPerSecond: 0.001 } });
    for (let i = 0; i < 6; i++) await expectProblem(await echo(k.key, from("11.0.0.1")), 403, "ip-not-allowed");
    expect((await echo(k.key, from("10.0.0.1"))).status).toBe(200);
    expect((await echo(k.key, from("10.0.0.2"))).status).toBe(200);
    expect((await echo(k.key, from("10.0.0.3"))).status).toBe(429);
    await flushAnalytics([{ id: k.id, tenantId }]);
    expect(await totalsBy("analytics_day", "outcome", "key_id = ?", k.id)).toEqual({ forbidden: 6, valid: 2, rate_limited: 1 });
  });

  it("a change reaches an isolate that still holds the old rules within a lease, through the key's object", async () => {
    const k = await createKey(admin, { scopes: ["query"] });
    expect((await echo(k.key, from("203.0.113.5"))).status).toBe(200); // this isolate now holds a lease and a cached copy without rules
    await changeElsewhere(k.id, { deniedIps: ["203.0.113.0/24"] });
    const { status, ms } = await untilRefused(() => echo(k.key, from("203.0.113.5")));
    expect(status).toBe(403);
    expect(ms).toBeLessThanOrEqual(1_500); // one lease (1 s) and a call
    resetLeases();
  });
});
