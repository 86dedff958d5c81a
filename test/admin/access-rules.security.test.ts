// Access rules under hostile input and hostile callers. Property tests send arbitrary strings,
// generated IPv4/IPv6 addresses with random prefixes and arbitrary JSON through the real API: never
// a 5xx (Unkey once answered 500 from a CIDR parsing bug), a valid entry stored exactly as sent, an
// invalid one a 422 naming it with nothing written. Then: another tenant's keys are out of reach,
// and rules never carry another tenant's data or a secret anywhere.
import { env } from "cloudflare:test";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { PROBLEM_BASE } from "../../src/core/problem.ts";
import { KEY_LIKE } from "../../src/core/redact.ts";
import { MAX_CIDRS, MAX_RESOURCE_IDS, MAX_RESOURCE_TYPES, parseCidr, RESOURCE_PATTERN, RESOURCE_TYPE } from "../../src/keys/access-rules.ts";
import { generateKey } from "../../src/keys/format.ts";
import { call, createKey, createTenant, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { dumpD1, expectProblem, patch } from "../support/admin.ts";
import { UNLIMITED } from "../support/hostile.ts";

let platform: string;
let admin: string;
/** The same tenant's admin with a bucket no property run drains (hundreds of PATCHes in seconds). */
let propertyAdmin: string;
let keyId: string;
let tenantId: string;
beforeAll(async () => {
  platform = await platformKey();
  let tenant: { id: string };
  ({ admin, tenant } = await tenantWithAdmin(platform));
  propertyAdmin = (await createKey(platform, { tenantId: tenant.id, permissionSet: "full_access", ...UNLIMITED })).key;
  keyId = (await createKey(admin, { scopes: ["query"] })).id;
  tenantId = (await createTenant(platform)).id;
});

type Field = "resources" | "allowedIps" | "deniedIps";
const COLUMN: Record<Field, string> = { resources: "resources", allowedIps: "allowed_ips", deniedIps: "denied_ips" };

async function stored(table: "api_keys" | "tenants", id: string, field: Field): Promise<string | null> {
  const row = await env.DB.prepare(`SELECT ${COLUMN[field]} AS v FROM ${table} WHERE id = ?`).bind(id).first<{ v: string | null }>();
  return row!.v;
}

/**
 * PATCHes one field of the key (or tenant) with `value` and checks the answer against `valid`:
 * 200 with the value stored byte for byte as JSON, or 422 naming `path` with the column unchanged.
 */
async function attempt(target: "key" | "tenant", field: Field, value: unknown, valid: boolean, path: string): Promise<void> {
  const [url, caller, table, id] = target === "key" ? [`/v1/keys/${keyId}`, propertyAdmin, "api_keys", keyId] as const : [`/v1/tenants/${tenantId}`, platform, "tenants", tenantId] as const;
  const before = await stored(table, id, field);
  const res = await patch(url, caller, { [field]: value });
  const text = await res.text();
  expect(res.status, text).toBeLessThan(500);
  if (valid) {
    expect(res.status, `${JSON.stringify(value)}: ${text}`).toBe(200);
    expect(JSON.stringify(JSON.parse(text)[field])).toBe(JSON.stringify(value));
    expect(await stored(table, id, field)).toBe(value === null ? null : JSON.stringify(value));
    return;
  }
  expect(res.status, `${JSON.stringify(value)}: ${text}`).toBe(422);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(text);
  expect(problem.type).toBe(`${PROBLEM_BASE}validation-failed`);
  expect(problem.errors.map((e: any) => e.path), text).toContain(path);
  expect(text).not.toMatch(/\n\s+at |\.(ts|js):\d+/);
  expect(await stored(table, id, field)).toBe(before);
}

const DECIMAL_OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]\\d|\\d)";
const CANONICAL_V4 = new RegExp(`^${DECIMAL_OCTET}(\\.${DECIMAL_OCTET}){3}$`);

/** A prefix as a client might write one, right or wrong; undefined: a bare address. */
const prefixArb = fc.option(
  fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 160 }).map(String) },
    { weight: 1, arbitrary: fc.constantFrom("", "08", "032", "-1", "1e1", "0x10", "+8", " 8", "8 ", "1000", "٣", "8/8") },
  ),
  { nil: undefined },
);
const prefixFits = (prefix: string | undefined, max: number) => prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max);
const withPrefix = (addr: string, prefix: string | undefined) => (prefix === undefined ? addr : `${addr}/${prefix}`);

/** Addresses from fast-check's generators, with the verdict worked out without parseCidr. */
const addressCase = fc.oneof(
  fc.tuple(fc.ipV4(), prefixArb).map(([a, p]) => ({ entry: withPrefix(a, p), valid: prefixFits(p, 32) })),
  fc.tuple(fc.ipV6(), prefixArb).map(([a, p]) => ({ entry: withPrefix(a, p), valid: prefixFits(p, 128) })),
  // Octal, hex and short forms: other addresses than they look, so refused unless plain decimal.
  fc.tuple(fc.ipV4Extended(), prefixArb).map(([a, p]) => ({ entry: withPrefix(a, p), valid: CANONICAL_V4.test(a) && prefixFits(p, 32) })),
  fc.tuple(fc.ipV4(), prefixArb).map(([a, p]) => ({ entry: withPrefix(`::ffff:${a}`, p), valid: prefixFits(p, 128) })),
);

/** Strings near the shape of an entry, and anything at all. */
const anyString = fc.oneof(
  fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEFx:./%[] -"), maxLength: 70 }),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
);

describe("property: CIDR entries through the API", () => {
  it("generated IPv4, IPv6, extended and mapped addresses with random prefixes: valid ones stored exactly, the rest 422", async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(addressCase, fc.constantFrom<Field>("allowedIps", "deniedIps"), fc.nat(3), async ({ entry, valid }, field, at) => {
        const list = [...["10.0.0.0/8", "2001:db8::/32", "192.0.2.1"].slice(0, at), entry];
        await attempt("key", field, list, valid, `${field}.${at}`);
        if (valid) accepted++;
      }),
      { numRuns: 400 },
    );
    expect(accepted).toBeGreaterThan(100);
  }, 120_000);

  it("arbitrary strings: the API agrees with parseCidr, on keys and tenants", async () => {
    await fc.assert(
      fc.asyncProperty(anyString, fc.constantFrom<Field>("allowedIps", "deniedIps"), fc.constantFrom("key", "tenant") as fc.Arbitrary<"key" | "tenant">, async (entry, field, target) => {
        await attempt(target, field, [entry], parseCidr(entry) !== null, `${field}.0`);
      }),
      { numRuns: 400 },
    );
  }, 120_000);

  it("arbitrary JSON in place of a list: never a 5xx, stored only when it is a valid list", async () => {
    const valid = (v: unknown) => v === null || (Array.isArray(v) && v.length <= MAX_CIDRS && v.every((e) => typeof e === "string" && parseCidr(e) !== null));
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom<Field>("allowedIps", "deniedIps"), fc.constantFrom("key", "tenant") as fc.Arbitrary<"key" | "tenant">, async (value, field, target) => {
        const bad = Array.isArray(value) ? value.findIndex((e) => typeof e !== "string" || parseCidr(e) === null) : -1;
        await attempt(target, field, value, valid(value), bad === -1 ? field : `${field}.${bad}`);
      }),
      { numRuns: 200 },
    );
  }, 120_000);
});

describe("property: resources through the API", () => {
  const typeArb = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/), fc.string({ maxLength: 40 }), fc.constantFrom("__proto__", "constructor", "toString", "t".repeat(32), "t".repeat(33)));
  const idArb = fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:~@-]{0,12}\*?$/), fc.string({ maxLength: 20 }), fc.constantFrom("*", "", "**", "a*b", generateKey("live"), "x".repeat(128), "x".repeat(129)));
  const isValid = (r: Record<string, unknown[]>) =>
    Object.keys(r).length <= MAX_RESOURCE_TYPES &&
    Object.entries(r).every(
      ([type, ids]) =>
        RESOURCE_TYPE.test(type) &&
        ids.length <= MAX_RESOURCE_IDS &&
        ids.every((id) => typeof id === "string" && id !== "" && RESOURCE_PATTERN.test(id) && !new RegExp(KEY_LIKE.source).test(id)),
    );

  it("arbitrary maps of types to ids: valid ones stored exactly (order kept), the rest 422, never a 5xx", async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.dictionary(typeArb, fc.array(idArb, { maxLength: 5 }), { maxKeys: 4 }), async (resources) => {
        const ok = isValid(resources) && !Object.hasOwn(resources, "__proto__");
        const res = await patch(`/v1/keys/${keyId}`, propertyAdmin, { resources });
        const text = await res.text();
        expect(res.status, text).toBeLessThan(500);
        expect(res.status, `${JSON.stringify(resources)}: ${text}`).toBe(ok ? 200 : 422);
        if (ok) {
          accepted++;
          expect(await stored("api_keys", keyId, "resources")).toBe(JSON.stringify(resources));
        } else {
          expect(JSON.parse(text).errors.every((e: any) => e.path.startsWith("resources"))).toBe(true);
        }
        // A key-shaped id is never quoted back, nor stored.
        expect(text).not.toMatch(KEY_LIKE);
      }),
      { numRuns: 300 },
    );
    expect(accepted).toBeGreaterThan(30);
  }, 120_000);

  it("arbitrary JSON in place of the map: never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (resources) => {
        const res = await patch(`/v1/keys/${keyId}`, propertyAdmin, { resources });
        expect(res.status, await res.text()).toBeOneOf([200, 422]);
      }),
      { numRuns: 200 },
    );
  }, 120_000);
});

describe("who may set rules", () => {
  it("a tenant admin cannot set rules on another tenant's key: 404, nothing changes", async () => {
    const a = await tenantWithAdmin(platform);
    const b = await tenantWithAdmin(platform);
    const victim = await createKey(b.admin, { scopes: ["query"], allowedIps: ["10.0.0.0/8"] });
    const before = await env.DB.prepare("SELECT * FROM api_keys WHERE id = ?").bind(victim.id).first();
    for (const body of [{ allowedIps: null }, { deniedIps: ["0.0.0.0/0"] }, { resources: { agent: [] } }, { allowedIps: ["0.0.0.0/0", "::/0"] }]) {
      const problem = await expectProblem(await patch(`/v1/keys/${victim.id}`, a.admin, body), 404, "not-found");
      expect(JSON.stringify(problem)).not.toContain("10.0.0.0/8");
    }
    expect(await env.DB.prepare("SELECT * FROM api_keys WHERE id = ?").bind(victim.id).first()).toEqual(before);
    expect((await json(await call(`/v1/keys/${victim.id}`, { key: b.admin }))).allowedIps).toEqual(["10.0.0.0/8"]);
  });

  it("a tenant admin sets rules on its own keys; a platform key on any tenant's", async () => {
    const { admin: own } = await tenantWithAdmin(platform);
    const k = await createKey(own, { scopes: ["query"] });
    expect((await json(await patch(`/v1/keys/${k.id}`, own, { deniedIps: ["203.0.113.0/24"] }))).deniedIps).toEqual(["203.0.113.0/24"]);
    expect((await json(await patch(`/v1/keys/${k.id}`, platform, { resources: { agent: ["a_1"] } }))).resources).toEqual({ agent: ["a_1"] });
  });

  it("only a platform key sets a tenant's network rules, its own tenant's included", async () => {
    const { tenant, admin: own } = await tenantWithAdmin(platform);
    for (const body of [{ allowedIps: ["0.0.0.0/0"] }, { deniedIps: null }]) {
      await expectProblem(await patch(`/v1/tenants/${tenant.id}`, own, body), 403, "insufficient-scope");
      await expectProblem(await call("/v1/tenants", { key: own, body: { name: "X", slug: `x-${crypto.randomUUID().slice(0, 8)}`, ...body } }), 403, "insufficient-scope");
    }
    expect(await env.DB.prepare("SELECT allowed_ips, denied_ips FROM tenants WHERE id = ?").bind(tenant.id).first()).toEqual({ allowed_ips: null, denied_ips: null });
  });

  it("a rolled-away secret cannot change its own key's rules", async () => {
    const { admin: own } = await tenantWithAdmin(platform);
    const me = await createKey(own, { permissionSet: "full_access" });
    await call(`/v1/keys/${me.id}/roll`, { key: own, body: { gracePeriodSeconds: 600 } });
    await expectProblem(await patch(`/v1/keys/${me.id}`, me.key, { allowedIps: null, deniedIps: null }), 403, "rolled-secret");
  });
});

describe("no leaks", () => {
  it("rules never show another tenant's data: lists, reads, /v1/auth/me and the audit trail", async () => {
    const a = await tenantWithAdmin(platform);
    const markers = { resources: { agent: ["secret_agent_7"] }, allowedIps: ["203.0.113.77/32"], deniedIps: ["2001:db8:7777::/48"] };
    const bTenant = await createTenant(platform, { allowedIps: ["198.51.100.0/24", "192.0.2.99/32"], deniedIps: ["2001:db8:6666::/48"] });
    const bKey = await createKey(platform, { tenantId: bTenant.id, scopes: ["query"], ...markers });
    const seen: string[] = [];
    seen.push(await (await call("/v1/keys?limit=100", { key: a.admin })).text());
    seen.push(await (await call(`/v1/keys/${bKey.id}`, { key: a.admin })).text());
    seen.push(await (await call(`/v1/keys/${bKey.id}`, { method: "PATCH", key: a.admin, body: { description: "x" } })).text());
    seen.push(await (await call("/v1/audit?limit=100", { key: a.admin })).text());
    seen.push(await (await call(`/v1/audit?targetId=${bKey.id}`, { key: a.admin })).text());
    seen.push(await (await call("/v1/auth/me", { key: a.admin })).text());
    seen.push(await (await call(`/v1/tenants/${bTenant.id}`, { key: a.admin })).text());
    for (const text of seen) {
      for (const marker of ["secret_agent_7", "203.0.113.77", "2001:db8:7777", "192.0.2.99", "2001:db8:6666"]) expect(text).not.toContain(marker);
    }
    // The lists hold none of the other tenant's rows (a 404's `instance` names the id asked for).
    for (const text of [seen[0]!, seen[3]!]) expect(text).not.toContain(bKey.id);
  });

  it("the key's secret never appears in the audit details, nor in D1, of a key with rules", async () => {
    const { tenant, admin: own } = await tenantWithAdmin(platform);
    const k = await createKey(own, { scopes: ["query"], resources: { agent: ["a_1"] }, allowedIps: ["10.0.0.0/8"] });
    const rolled = await json(await call(`/v1/keys/${k.id}/roll`, { key: own, body: { gracePeriodSeconds: 0 } }));
    await patch(`/v1/keys/${k.id}`, own, { resources: null, deniedIps: ["10.1.0.0/16"] });
    // A key pasted as a resource id is refused, and stored nowhere.
    const pasted = generateKey("live");
    await expectProblem(await patch(`/v1/keys/${k.id}`, own, { resources: { agent: [pasted] } }), 422, "validation-failed");
    await expectProblem(await call("/v1/keys", { key: own, body: { name: "pasted", scopes: ["query"], resources: { [pasted]: ["x"] } } }), 422, "validation-failed");

    const { results } = await env.DB.prepare("SELECT details FROM audit_log WHERE tenant_id = ?").bind(tenant.id).all<{ details: string | null }>();
    expect(results.length).toBeGreaterThanOrEqual(3);
    for (const { details } of results) expect(details ?? "").not.toMatch(KEY_LIKE);
    const d1 = await dumpD1();
    for (const secret of [k.key, rolled.key, pasted]) {
      expect(d1).not.toContain(secret);
      expect(d1).not.toContain(secret.slice(12, 30));
    }
  });
});
