// Invalid access rules: each is a 422 validation-failed whose error names the entry by its path
// and quotes it, and nothing is written (the key or tenant row, its audit trail, the key count).
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/keys/format.ts";
import { parseCidr } from "../../src/keys/access-rules.ts";
import { call, createKey, createTenant, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { countRows, expectProblem, patch } from "../support/admin.ts";

let platform: string;
let admin: string;
let tenantId: string;
beforeAll(async () => {
  platform = await platformKey();
  ({ admin, tenant: { id: tenantId } } = await tenantWithAdmin(platform, { maxKeys: 10_000 }));
});

// [entry, what its message must quote (null: nothing quotable)]
const BAD_CIDRS: [unknown, string | null][] = [
  ["10.0.0.0/33", '"10.0.0.0/33"'],
  ["1.2.3", '"1.2.3"'],
  ["010.0.0.1", '"010.0.0.1"'],
  ["fe80::1%eth0", '"fe80::1%eth0"'],
  ["::/129", '"::/129"'],
  ["", null],
  ["1".repeat(65), `"${"1".repeat(40)}…"`],
  [`2001:db8::/32${" ".repeat(60)}`, '"2001:db8::/32'],
  [42, "42"],
  [null, "null"],
  [true, "true"],
  [["10.0.0.0/8"], "an array"],
  [{ cidr: "10.0.0.0/8" }, "an object"],
  ["10.0.0.0/8/8", '"10.0.0.0/8/8"'],
  ["10.0.0.0/", '"10.0.0.0/"'],
  ["10.0.0.0/-1", '"10.0.0.0/-1"'],
  ["10.0.0.0/0x8", '"10.0.0.0/0x8"'],
  ["10.0.0.0/1000", '"10.0.0.0/1000"'],
  [" 10.0.0.0/8", '" 10.0.0.0/8"'],
  ["10.0.0.0/8 ", '"10.0.0.0/8 "'],
  ["10.1", '"10.1"'],
  ["0x0a.0.0.1", '"0x0a.0.0.1"'],
  ["1.2.3.4.5", '"1.2.3.4.5"'],
  ["256.0.0.1", '"256.0.0.1"'],
  ["::ffff:10.0.0.0/129", '"::ffff:10.0.0.0/129"'],
  ["2001:db8:::1", '"2001:db8:::1"'],
  ["localhost", '"localhost"'],
  ["*", '"*"'],
  ["10.0.0.0\u0000/8", '"10.0.0.0\\u0000/8"'],
];

// [resources, the path its error has, what the message must quote (null: nothing)]
const key = generateKey("live");
const BAD_RESOURCES: [string, unknown, string, string | null][] = [
  ["an uppercase type", { Agent: ["a_1"] }, "resources.Agent", '"Agent"'],
  ["a type starting with a digit", { "1agent": ["a_1"] }, "resources.1agent", '"1agent"'],
  ["a type with a hyphen", { "vector-store": ["v"] }, "resources.vector-store", '"vector-store"'],
  ["a 33-character type", { ["t".repeat(33)]: ["v"] }, `resources.${"t".repeat(33)}`, `"${"t".repeat(33)}"`],
  ["an empty type", { "": ["v"] }, "resources.", '""'],
  ["an empty id", { agent: ["a_1", ""] }, "resources.agent.1", null],
  ["an id with a space", { agent: ["a 1"] }, "resources.agent.0", '"a 1"'],
  ["a * inside an id", { agent: ["a*b"] }, "resources.agent.0", '"a*b"'],
  ["two stars", { agent: ["**"] }, "resources.agent.0", '"**"'],
  ["a 129-character id", { agent: ["x".repeat(129)] }, "resources.agent.0", `"${"x".repeat(40)}…"`],
  ["a non-ASCII id", { agent: ["agént"] }, "resources.agent.0", '"agént"'],
  ["a slash in an id", { agent: ["a/b"] }, "resources.agent.0", '"a/b"'],
  ["a number as an id", { agent: [7] }, "resources.agent.0", "7"],
  ["null as an id", { agent: [null] }, "resources.agent.0", "null"],
  ["a string instead of a list", { agent: "a_1" }, "resources.agent", null],
  ["an object instead of a list", { agent: { a_1: true } }, "resources.agent", null],
  ["a list instead of a map", ["agent"], "resources", null],
  ["a string instead of a map", "agent=a_1", "resources", null],
  ["101 ids of one type", { agent: Array.from({ length: 101 }, (_, i) => `a${i}`) }, "resources.agent", null],
  ["21 types", Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`t${i}`, []])), "resources", null],
  ["a key as an id", { agent: [key] }, "resources.agent.0", null],
];

function expectEntryError(problem: any, path: string, quoted: string | null) {
  const errors: { path: string; message: string }[] = problem.errors;
  const mine = errors.filter((e) => e.path === path);
  expect(mine, JSON.stringify(errors)).not.toHaveLength(0);
  if (quoted !== null) expect(mine.map((e) => e.message).join(" | ")).toContain(quoted);
  // Errors name only the entries that are wrong.
  for (const e of errors) expect(e.path.startsWith(path.split(".")[0]!), JSON.stringify(e)).toBe(true);
}

async function keySnapshot(id: string) {
  const row = await env.DB.prepare("SELECT * FROM api_keys WHERE id = ?").bind(id).first<Record<string, unknown>>();
  const { last_used_at: _l, total_requests: _t, ...rest } = row!; // written by usage flushes, not by admin changes
  const audit = await countRows("SELECT count(*) AS n FROM audit_log WHERE target_id = ?", id);
  return { rest, audit };
}

describe("keys: invalid CIDR entries → 422 naming the entry, nothing written", () => {
  it("every bad form is refused by parseCidr itself", () => {
    for (const [entry] of BAD_CIDRS) if (typeof entry === "string") expect(parseCidr(entry), entry).toBeNull();
  });

  it.each(BAD_CIDRS.map(([entry, quoted]) => [JSON.stringify(entry).slice(0, 50), entry, quoted] as const))("%s", async (_label, entry, quoted) => {
    const keysBefore = await countRows("SELECT count(*) AS n FROM api_keys WHERE tenant_id = ?", tenantId);
    const auditBefore = await countRows("SELECT count(*) AS n FROM audit_log WHERE tenant_id = ?", tenantId);
    for (const field of ["allowedIps", "deniedIps"]) {
      const body = { name: `bad-${crypto.randomUUID()}`, scopes: ["query"], [field]: ["10.0.0.0/8", "2001:db8::/32", entry] };
      const problem = await expectProblem(await call("/v1/keys", { key: admin, body }), 422, "validation-failed");
      expectEntryError(problem, `${field}.2`, quoted);
    }
    expect(await countRows("SELECT count(*) AS n FROM api_keys WHERE tenant_id = ?", tenantId)).toBe(keysBefore);
    expect(await countRows("SELECT count(*) AS n FROM audit_log WHERE tenant_id = ?", tenantId)).toBe(auditBefore);

    const k = await createKey(admin, { scopes: ["query"], allowedIps: ["10.0.0.0/8"] });
    const before = await keySnapshot(k.id);
    for (const field of ["allowedIps", "deniedIps"]) {
      const problem = await expectProblem(await patch(`/v1/keys/${k.id}`, admin, { [field]: ["192.0.2.0/24", "::1", entry] }), 422, "validation-failed");
      expectEntryError(problem, `${field}.2`, quoted);
    }
    expect(await keySnapshot(k.id)).toEqual(before);
  });

  it("more than 100 entries, or not a list", async () => {
    const k = await createKey(admin, { scopes: ["query"] });
    const before = await keySnapshot(k.id);
    const many = Array.from({ length: 101 }, (_, i) => `10.0.${i}.0/24`);
    for (const value of [many, "10.0.0.0/8", { 0: "10.0.0.0/8" }, 42]) {
      for (const field of ["allowedIps", "deniedIps"]) {
        const problem = await expectProblem(await patch(`/v1/keys/${k.id}`, admin, { [field]: value }), 422, "validation-failed");
        expect(problem.errors.map((e: any) => e.path)).toEqual([field]);
        await expectProblem(await call("/v1/keys", { key: admin, body: { name: "many", scopes: ["query"], [field]: value } }), 422, "validation-failed");
      }
    }
    expect(await keySnapshot(k.id)).toEqual(before);
    expect(await countRows("SELECT count(*) AS n FROM api_keys WHERE name = 'many'")).toBe(0);
  });

  it("null on create is not a way to say 'none': leave the field out", async () => {
    for (const field of ["allowedIps", "deniedIps", "resources"]) {
      const problem = await expectProblem(await call("/v1/keys", { key: admin, body: { name: "nulls", scopes: ["query"], [field]: null } }), 422, "validation-failed");
      expect(problem.errors.map((e: any) => e.path)).toEqual([field]);
    }
  });
});

describe("keys: invalid resources → 422 naming the entry, nothing written", () => {
  it.each(BAD_RESOURCES)("%s", async (_label, resources, path, quoted) => {
    const keysBefore = await countRows("SELECT count(*) AS n FROM api_keys WHERE tenant_id = ?", tenantId);
    const created = await expectProblem(await call("/v1/keys", { key: admin, body: { name: "res", scopes: ["query"], resources } }), 422, "validation-failed");
    expectEntryError(created, path, quoted);
    expect(await countRows("SELECT count(*) AS n FROM api_keys WHERE tenant_id = ?", tenantId)).toBe(keysBefore);

    const k = await createKey(admin, { scopes: ["query"], resources: { agent: ["a_1"] } });
    const before = await keySnapshot(k.id);
    const patched = await expectProblem(await patch(`/v1/keys/${k.id}`, admin, { resources }), 422, "validation-failed");
    expectEntryError(patched, path, quoted);
    expect(await keySnapshot(k.id)).toEqual(before);
    // A key is never quoted back, whole or in part.
    expect(JSON.stringify([created, patched])).not.toContain(key.slice(8, 20));
  });

  it("a type named like an object's built-in member is just a name; __proto__ is not a type", async () => {
    const k = await createKey(admin, { scopes: ["query"], resources: { constructor: ["x"], to_string: ["y"] } });
    expect(k.resources).toEqual({ constructor: ["x"], to_string: ["y"] });
    const raw = `{"name":"proto","scopes":["query"],"resources":{"__proto__":["a_1"]}}`;
    const problem = await expectProblem(await call("/v1/keys", { key: admin, body: raw }), 422, "validation-failed");
    expect(problem.errors.map((e: any) => e.path)).toEqual(["resources.__proto__"]);
    expect(await countRows("SELECT count(*) AS n FROM api_keys WHERE name = 'proto'")).toBe(0);
  });

  it("a type given twice is refused as a duplicate member, not merged", async () => {
    const raw = `{"name":"dup","scopes":["query"],"resources":{"agent":["a_1"],"agent":["*"]}}`;
    const problem = await expectProblem(await call("/v1/keys", { key: admin, body: raw }), 422, "validation-failed");
    expect(problem.errors.map((e: any) => e.path)).toEqual(["resources.agent"]);
  });
});

describe("tenants: invalid network rules → 422 naming the entry, nothing written", () => {
  it.each(BAD_CIDRS.map(([entry, quoted]) => [JSON.stringify(entry).slice(0, 50), entry, quoted] as const))("%s", async (_label, entry, quoted) => {
    for (const field of ["allowedIps", "deniedIps"]) {
      const slug = `bad-${crypto.randomUUID().slice(0, 8)}`;
      const problem = await expectProblem(
        await call("/v1/tenants", { key: platform, body: { name: "Bad", slug, [field]: ["10.0.0.0/8", "::1", entry] } }),
        422,
        "validation-failed",
      );
      expectEntryError(problem, `${field}.2`, quoted);
      expect(await countRows("SELECT count(*) AS n FROM tenants WHERE slug = ?", slug)).toBe(0);
    }
    const t = await createTenant(platform, { allowedIps: ["10.0.0.0/8"] });
    const before = await env.DB.prepare("SELECT * FROM tenants WHERE id = ?").bind(t.id).first();
    for (const field of ["allowedIps", "deniedIps"]) {
      const problem = await expectProblem(await patch(`/v1/tenants/${t.id}`, platform, { [field]: ["192.0.2.0/24", "::1", entry] }), 422, "validation-failed");
      expectEntryError(problem, `${field}.2`, quoted);
    }
    expect(await env.DB.prepare("SELECT * FROM tenants WHERE id = ?").bind(t.id).first()).toEqual(before);
    expect(await countRows("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'tenant.update'", t.id)).toBe(0);
  });

  it("tenants take no resources", async () => {
    const t = await createTenant(platform);
    const problem = await expectProblem(await patch(`/v1/tenants/${t.id}`, platform, { resources: { agent: [] } }), 422, "validation-failed");
    expect(problem.errors.length).toBeGreaterThan(0);
  });
});
