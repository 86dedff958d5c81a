// Access rules through the admin API: set on create and update, read back everywhere a key or
// tenant is shown, cleared with null, recorded in the audit trail, and published like a scope
// change (D1's version, the key's object, KV).
import { env, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "../../src/keys/hash.ts";
import { parseCidr } from "../../src/keys/access-rules.ts";
import { PERMISSION_SETS } from "../../src/keys/scopes.ts";
import { call, createKey, createTenant, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { auditRowsFor, patch, waitFor } from "../support/admin.ts";
import { limiterStub } from "../support/limits.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

/** `call()` picks a client address in 198.51.100.0/24 unless told otherwise: keys used here allow it. */
const CLIENT_NET = "198.51.100.0/24";
const NONE = { resources: null, allowedIps: null, deniedIps: null };

async function keyRow(id: string) {
  const row = await env.DB.prepare("SELECT resources, allowed_ips, denied_ips, updated_at FROM api_keys WHERE id = ?").bind(id).first<Record<string, any>>();
  return {
    resources: row!.resources === null ? null : JSON.parse(row!.resources),
    allowedIps: row!.allowed_ips === null ? null : JSON.parse(row!.allowed_ips),
    deniedIps: row!.denied_ips === null ? null : JSON.parse(row!.denied_ips),
    updatedAt: row!.updated_at as number,
  };
}

const lastAudit = async (id: string, action: string) => JSON.parse((await auditRowsFor(id)).filter((r) => r.action === action).at(-1).details);
const tick = () => new Promise((r) => setTimeout(r, 3));

describe("keys: access rules", () => {
  it("a key without rules shows null for each, everywhere", async () => {
    const { admin, adminId } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    expect(k).toMatchObject(NONE);
    expect(await json(await call(`/v1/keys/${k.id}`, { key: admin }))).toMatchObject(NONE);
    const list = await json(await call("/v1/keys", { key: admin }));
    for (const listed of list.data) expect(listed).toMatchObject(NONE);
    expect((await json(await call("/v1/auth/me", { key: admin }))).key).toMatchObject({ id: adminId, ...NONE });
    expect(await keyRow(k.id)).toMatchObject(NONE);
  });

  it("create stores the rules exactly as given and shows them in every view and the audit row", async () => {
    const { tenant, admin } = await tenantWithAdmin(platform);
    const rules = {
      resources: { agent: ["a_1", "a_2"], vector_store: ["vs_*"], mcp_tool: [], file: ["*"] },
      allowedIps: ["10.0.0.0/8", "2001:db8::/32", CLIENT_NET],
      deniedIps: ["10.9.0.0/16"],
    };
    const k = await createKey(admin, { scopes: ["query"], ...rules });
    expect(k).toMatchObject({ tenantId: tenant.id, ...rules });
    expect(await keyRow(k.id)).toMatchObject(rules);
    expect(await json(await call(`/v1/keys/${k.id}`, { key: admin }))).toMatchObject(rules);
    const listed = (await json(await call("/v1/keys", { key: admin }))).data.find((x: any) => x.id === k.id);
    expect(listed).toMatchObject(rules);
    // The key reads its own rules, from an address its allowlist admits.
    const me = await json(await call("/v1/auth/me", { key: k.key, headers: { "cf-connecting-ip": "198.51.100.7" } }));
    expect(me.key).toMatchObject({ id: k.id, ...rules });
    expect((await lastAudit(k.id, "key.create")).rules).toEqual({ before: null, after: rules });
  });

  it("PATCH sets, replaces and clears each rule; each change bumps the version and is published", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    const hash = await hashKey(k.key);
    let version = (await keyRow(k.id)).updatedAt;

    const steps: Record<string, unknown>[] = [
      { resources: { agent: ["a_*"] } },
      { allowedIps: ["192.0.2.0/24", "::ffff:203.0.113.0/120"] },
      { deniedIps: ["192.0.2.128/25"], resources: { agent: [], vector_store: ["vs_9"] } },
      { resources: null },
      { allowedIps: null, deniedIps: null },
    ];
    let expected: Record<string, unknown> = { ...NONE };
    for (const change of steps) {
      await tick();
      const before = expected;
      expected = { ...expected, ...change };
      const res = await patch(`/v1/keys/${k.id}`, admin, change);
      expect(res.status, await res.clone().text()).toBe(200);
      const view = await json(res);
      expect(view).toMatchObject(expected);
      expect(Date.parse(view.updatedAt)).toBeGreaterThan(version);

      // D1, with a new version (what the key's object adopts and caches are compared by).
      const row = await keyRow(k.id);
      expect(row).toMatchObject(expected);
      expect(row.updatedAt).toBe(Date.parse(view.updatedAt));
      version = row.updatedAt;

      // The audit row: the body as sent, and the rules before and after.
      const details = await lastAudit(k.id, "key.update");
      expect(details).toMatchObject(change);
      expect(details.rules).toEqual({ before, after: expected });

      // Published: the key's object holds the new rules, and so does the KV copy.
      const auth = await runInDurableObject(limiterStub(k.id), (_o, state) => state.storage.kv.get<{ version: number; rules?: unknown }>("auth"));
      expect(auth).toMatchObject({ version, rules: expected });
      const copy = await waitFor(async () => {
        const c = await env.KEY_CACHE.get<{ rules?: unknown; updatedAt?: number }>(`key:${hash}`, "json");
        return c && JSON.stringify(c.rules) === JSON.stringify(expected) ? c : null;
      }, "the KV copy with the new rules");
      expect(copy.rules).toEqual(expected);
    }
    expect(await json(await call(`/v1/keys/${k.id}`, { key: admin }))).toMatchObject(NONE);
  });

  it("an update of other fields leaves the rules alone and records no rules in its audit row", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const rules = { resources: { agent: ["a_1"] }, allowedIps: ["10.0.0.0/8"], deniedIps: ["10.1.0.0/16"] };
    const k = await createKey(admin, { scopes: ["query"], ...rules });
    const view = await json(await patch(`/v1/keys/${k.id}`, admin, { description: "renamed" }));
    expect(view).toMatchObject({ description: "renamed", ...rules });
    expect(await lastAudit(k.id, "key.update")).toEqual({ description: "renamed" });
  });

  it("a permission set's resources go to a key made from it unless the body names its own", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const set = PERMISSION_SETS.read_only as { resources?: Record<string, readonly string[]> };
    set.resources = { agent: ["a_1", "shared_*"], mcp_tool: [] };
    try {
      const fromSet = await createKey(admin, { permissionSet: "read_only" });
      expect(fromSet.resources).toEqual({ agent: ["a_1", "shared_*"], mcp_tool: [] });
      expect(await keyRow(fromSet.id)).toMatchObject({ resources: { agent: ["a_1", "shared_*"], mcp_tool: [] } });
      const own = await createKey(admin, { permissionSet: "read_only", resources: { vector_store: ["vs_1"] } });
      expect(own.resources).toEqual({ vector_store: ["vs_1"] });
      const byScopes = await createKey(admin, { scopes: ["jobs:read", "query"] });
      expect(byScopes.resources).toBeNull();
    } finally {
      delete set.resources;
    }
    // Sets without resources (all of today's) restrict nothing.
    expect((await createKey(admin, { permissionSet: "read_only" })).resources).toBeNull();
  });

  it("accepts IPv4, IPv6, IPv4-mapped and bare addresses, and a lone * as every id", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const entries = [
      "10.0.0.0/8",
      "192.168.1.1",
      "0.0.0.0/0",
      "255.255.255.255/32",
      "::/0",
      "::1",
      "2001:db8::/32",
      "2001:DB8:0:0:0:0:0:1/128",
      "fe80::1",
      "::ffff:10.0.0.0/104",
      "::ffff:192.0.2.1",
      "64:ff9b::192.0.2.33",
      "10.0.0.1/8",
    ];
    for (const e of entries) expect(parseCidr(e), e).not.toBeNull();
    const k = await createKey(admin, { scopes: ["query"], allowedIps: entries, deniedIps: [...entries].reverse(), resources: { agent: ["*"], a0_b: ["x.y:z~w@v-1", "p*"] } });
    expect(k).toMatchObject({ allowedIps: entries, deniedIps: [...entries].reverse(), resources: { agent: ["*"], a0_b: ["x.y:z~w@v-1", "p*"] } });
    expect(await keyRow(k.id)).toMatchObject({ allowedIps: entries });
    // Empty lists are kept as given: an empty allowlist admits no network, an empty denylist denies none.
    const empty = await createKey(admin, { scopes: ["query"], allowedIps: [], deniedIps: [], resources: {} });
    expect(empty).toMatchObject({ allowedIps: [], deniedIps: [], resources: {} });
  });

  it("the limits are limits, not one past them", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const cidrs = Array.from({ length: 100 }, (_, i) => `10.${i}.0.0/16`);
    const ids = Array.from({ length: 100 }, (_, i) => `id_${i}`);
    const types = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`t${i}`, ["x"]]));
    const k = await createKey(admin, { scopes: ["query"], allowedIps: cidrs, deniedIps: cidrs.slice(0, 1), resources: { agent: ids } });
    expect(k.allowedIps).toHaveLength(100);
    expect(k.resources.agent).toHaveLength(100);
    expect(Object.keys((await createKey(admin, { scopes: ["query"], resources: types })).resources)).toHaveLength(20);
    const long = `${"a".repeat(128)}*`;
    expect((await createKey(admin, { scopes: ["query"], resources: { agent: [long, "b".repeat(128)] } })).resources.agent).toEqual([long, "b".repeat(128)]);
  });
});

describe("tenants: network rules", () => {
  it("create and PATCH set and clear them; the views, the audit rows and the cached copy show them", async () => {
    const plain = await createTenant(platform);
    expect(plain).toMatchObject({ allowedIps: null, deniedIps: null });

    const t = await createTenant(platform, { allowedIps: ["10.0.0.0/8", CLIENT_NET], deniedIps: ["10.66.0.0/16"] });
    expect(t).toMatchObject({ allowedIps: ["10.0.0.0/8", CLIENT_NET], deniedIps: ["10.66.0.0/16"] });
    expect(await json(await call(`/v1/tenants/${t.id}`, { key: platform }))).toEqual(t);
    const listed = (await json(await call("/v1/tenants?limit=100", { key: platform }))).data.find((x: any) => x.id === t.id);
    expect(listed).toMatchObject({ allowedIps: ["10.0.0.0/8", CLIENT_NET], deniedIps: ["10.66.0.0/16"] });
    expect(await lastAudit(t.id, "tenant.create")).toMatchObject({ allowedIps: ["10.0.0.0/8", CLIENT_NET], deniedIps: ["10.66.0.0/16"] });

    // A key of the tenant sees its tenant's rules in /v1/auth/me.
    const k = await createKey(platform, { tenantId: t.id, scopes: ["query"] });
    const me = await json(await call("/v1/auth/me", { key: k.key, headers: { "cf-connecting-ip": "198.51.100.9" } }));
    expect(me.tenant).toMatchObject({ id: t.id, allowedIps: ["10.0.0.0/8", CLIENT_NET], deniedIps: ["10.66.0.0/16"] });

    await tick();
    const updated = await json(await patch(`/v1/tenants/${t.id}`, platform, { allowedIps: ["2001:db8::/32"], deniedIps: null }));
    expect(updated).toMatchObject({ allowedIps: ["2001:db8::/32"], deniedIps: null });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThan(Date.parse(t.updatedAt));
    expect(await lastAudit(t.id, "tenant.update")).toEqual({ allowedIps: ["2001:db8::/32"], deniedIps: null });
    const copy = await waitFor(async () => {
      const c = await env.KEY_CACHE.get<{ network?: { allowedIps: unknown } }>(`tenant:${t.id}`, "json");
      return c && JSON.stringify(c.network?.allowedIps) === JSON.stringify(["2001:db8::/32"]) ? c : null;
    }, "the tenant's KV copy");
    expect(copy.network).toEqual({ allowedIps: ["2001:db8::/32"], deniedIps: null });

    const cleared = await json(await patch(`/v1/tenants/${t.id}`, platform, { allowedIps: null }));
    expect(cleared).toMatchObject({ allowedIps: null, deniedIps: null });
    const row = await env.DB.prepare("SELECT allowed_ips, denied_ips FROM tenants WHERE id = ?").bind(t.id).first();
    expect(row).toEqual({ allowed_ips: null, denied_ips: null });
  });

  it("other tenant changes leave the rules as they are", async () => {
    const t = await createTenant(platform, { allowedIps: ["10.0.0.0/8"] });
    const renamed = await json(await patch(`/v1/tenants/${t.id}`, platform, { name: "Renamed" }));
    expect(renamed).toMatchObject({ name: "Renamed", allowedIps: ["10.0.0.0/8"], deniedIps: null });
  });
});
