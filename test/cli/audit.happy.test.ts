// keygate audit against the Worker: filters, and following nextCursor for --limit and --all.
import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, expectOnlyNewSecretsPrinted, ok, parseJson, secretIn } from "../support/cli.ts";

let platform: string;
let tenantId: string;
let bulkTenant: string;
let keyId: string;
let admin: string;

/** More entries than one page holds (100), older than anything the API writes. */
const BULK = 130;

beforeAll(async () => {
  platform = secretIn(await ok(["bootstrap"]));
  tenantId = parseJson(await ok(["tenants", "create", "--json", "--name", "Acme", "--slug", "acme", "--plan", "pro"], platform)).id;
  bulkTenant = parseJson(await ok(["tenants", "create", "--json", "--name", "Bulk", "--slug", "bulk"], platform)).id;
  keyId = parseJson(await ok(["keys", "create", "--json", "--tenant", tenantId, "--name", "audited", "--scopes", "query"], platform)).id;
  await ok(["keys", "update", keyId, "--description", "now with words"], platform);
  await ok(["keys", "disable", keyId], platform);
  await ok(["keys", "revoke", keyId, "--reason", "rotation"], platform);
  admin = secretIn(await ok(["keys", "create", "--tenant", tenantId, "--name", "acme-admin", "--permission-set", "full_access"], platform));
  const sql =
    "INSERT INTO audit_log (id, tenant_id, actor_key_id, actor_tenant_id, action, target_type, target_id, ip, request_id, details, at) VALUES (?, ?, NULL, NULL, 'tenant.update', 'tenant', ?, NULL, NULL, ?, ?)";
  await env.DB.batch(
    Array.from({ length: BULK }, (_, i) =>
      env.DB.prepare(sql).bind(`aud_00000000${String(i).padStart(12, "0")}`, bulkTenant, bulkTenant, JSON.stringify({ n: i }), 1_700_000_000_000 + i * 1000),
    ),
  );
});
afterAll(() => expectOnlyNewSecretsPrinted());

const rowsOf = (stdout: string) => stdout.trimEnd().split("\n").slice(1);

describe("keygate audit", () => {
  it("--key: the key's trail as a table, newest first", async () => {
    const r = await ok(["audit", "--key", keyId], platform);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^AT\s+ACTION\s+TARGET\s+TENANT\s+ACTOR\s+IP\s+REQUEST ID\s+DETAILS$/);
    expect(rowsOf(r.stdout).map((l) => l.split(/\s+/)[1])).toEqual(["key.revoke", "key.update", "key.update", "key.create"]);
    const revoke = rowsOf(r.stdout)[0]!;
    expect(revoke).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\s+key\\.revoke\\s+${keyId}\\s+${tenantId}\\s+key_\\w+\\s+-\\s+[\\w-]{8,}\\s+\\{"reason":"rotation"\\}$`));
    // Long details are cut, whole in --json.
    const create = rowsOf(r.stdout)[3]!;
    expect(create).toMatch(/\{"name":"audited".{60,}…$/);
    expect(r.stderr).toBe("");
  });

  it("--tenant and --action filter; --json is {data, nextCursor}", async () => {
    const r = await ok(["audit", "--tenant", tenantId, "--action", "key.create"], platform);
    expect(rowsOf(r.stdout)).toHaveLength(2);
    expect(rowsOf(r.stdout).every((l) => / key\.create /.test(l))).toBe(true);
    const j = parseJson(await ok(["audit", "--json", "--key", keyId, "--action", "key.create"], platform));
    expect(j.nextCursor).toBeNull();
    expect(j.data).toEqual([
      expect.objectContaining({ action: "key.create", targetId: keyId, tenantId, details: expect.objectContaining({ name: "audited", scopes: ["query"] }) }),
    ]);
    expect((await ok(["audit", "--action", "key.nothing"], platform)).stdout).toBe("No audit entries.\n");
  });

  it("one page of 20 by default, and the command for the next on stderr, filters kept", async () => {
    const r = await ok(["audit", "--tenant", bulkTenant], platform);
    expect(rowsOf(r.stdout)).toHaveLength(20);
    expect(r.fetches).toBe(1);
    const more = /^More: keygate audit --tenant (ten_\w+) --cursor (aud_\w+)$/m.exec(r.stderr);
    expect(more?.[1]).toBe(bulkTenant);
    const next = await ok(["audit", "--tenant", bulkTenant, "--cursor", more![2]!, "--limit", "1"], platform);
    expect(rowsOf(next.stdout)).toHaveLength(1);
    expect(next.stdout).toContain(`{"n":${BULK - 20}}`);
  });

  it("--limit N follows nextCursor until it has N; --all until the end", async () => {
    const some = await ok(["audit", "--tenant", bulkTenant, "--limit", "120"], platform);
    expect(rowsOf(some.stdout)).toHaveLength(120);
    expect(some.fetches).toBe(2);
    expect(some.stderr).toMatch(/^More: keygate audit --tenant ten_\w+ --limit 120 --cursor aud_\w+$/m);

    const all = await ok(["audit", "--tenant", bulkTenant, "--all"], platform);
    expect(rowsOf(all.stdout)).toHaveLength(BULK + 1); // and the tenant.create
    expect(all.fetches).toBe(2);
    expect(all.stderr).toBe("");
    expect(rowsOf(all.stdout).at(-1)).toContain('{"n":0}');

    const j = parseJson(await ok(["audit", "--json", "--all", "--tenant", bulkTenant, "--action", "tenant.update"], platform));
    expect(j.data).toHaveLength(BULK);
    expect(new Set(j.data.map((a: any) => a.id)).size).toBe(BULK);
    expect(j.nextCursor).toBeNull();
  });

  it("a tenant admin sees its own tenant's trail only", async () => {
    const r = await ok(["audit", "--all"], admin);
    expect(rowsOf(r.stdout).length).toBeGreaterThan(0);
    expect(rowsOf(r.stdout).every((l) => l.includes(tenantId))).toBe(true);
    const other = await cli(["audit", "--tenant", bulkTenant], admin);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain("404 Not found");
  });

  it("API errors exit 1: a cursor of another list (4xx), no admin scope (403)", async () => {
    const bad = await cli(["audit", "--cursor", "key_0000000000000000"], platform);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^keygate: 4\d\d .*not a cursor of this list/);
    expect(bad.stderr).toMatch(/request id: \S+/);
    const reader = secretIn(await ok(["keys", "create", "--tenant", tenantId, "--name", "reader", "--permission-set", "read_only"], platform));
    const forbidden = await cli(["audit", "--json"], reader);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain("403 Insufficient scope");
    expect(parseJson(forbidden)).toMatchObject({ status: 403 });
  });

  it.each([
    [["audit", "--limit", "0"], "--limit must be a whole number of at least 1"],
    [["audit", "--limit", "ten"], "--limit must be a whole number"],
    [["audit", "--limit", "5", "--all"], "give --limit or --all, not both"],
    [["audit", "--key", "ten_0000000000000000"], "--key takes a key's id (key_…)"],
    [["audit", "--tenant", "key_0000000000000000"], "--tenant takes a tenant id"],
    [["audit", "--action", " "], "--action must not be empty"],
    [["audit", "--since", "2026-01-01"], "unknown flag '--since'"],
    [["audit", "--month", "2026-11"], "'audit' does not take --month"],
    [["audit", "key_0000000000000000"], "unexpected argument"],
  ])("usage error: keygate %j", async (argv, message) => {
    const r = await cli(argv, platform);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe("");
    expect(r.fetches).toBe(0);
  });
});
