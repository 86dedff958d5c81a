// keygate usage against the Worker. The figures are written to usage_daily directly, as the keys'
// objects flush them, so each day and route holds a known count.
import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, expectOnlyNewSecretsPrinted, ok, parseJson, secretIn } from "../support/cli.ts";

let platform: string;
let tenantId: string;
let otherTenant: string;
let reader: any;
let writer: any;
let admin: string;

/** [key, tenant, day, route, requests, refused, 2xx, 3xx, 4xx, 5xx] */
type Row = [string, string, string, string, number, number, number, number, number, number];
async function record(rows: Row[]): Promise<void> {
  const sql =
    "INSERT INTO usage_daily (key_id, tenant_id, day, route, requests, refused, status_2xx, status_3xx, status_4xx, status_5xx) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  await env.DB.batch(rows.map((r) => env.DB.prepare(sql).bind(...r)));
}

beforeAll(async () => {
  platform = secretIn(await ok(["bootstrap"]));
  tenantId = parseJson(await ok(["tenants", "create", "--json", "--name", "Acme", "--slug", "acme", "--plan", "pro"], platform)).id;
  otherTenant = parseJson(await ok(["tenants", "create", "--json", "--name", "Other", "--slug", "other"], platform)).id;
  reader = parseJson(await ok(["keys", "create", "--json", "--tenant", tenantId, "--name", "reader", "--scopes", "query"], platform));
  writer = parseJson(await ok(["keys", "create", "--json", "--tenant", tenantId, "--name", "writer", "--scopes", "jobs:write"], platform));
  admin = secretIn(await ok(["keys", "create", "--tenant", tenantId, "--name", "acme-admin", "--permission-set", "full_access"], platform));
  const theirs = parseJson(await ok(["keys", "create", "--json", "--tenant", otherTenant, "--name", "theirs", "--scopes", "query"], platform));
  await record([
    [reader.id, tenantId, "2026-10-31", "POST /v1/query", 7, 0, 7, 0, 0, 0],
    [reader.id, tenantId, "2026-11-01", "POST /v1/query", 1200, 15, 1180, 0, 5, 0],
    [reader.id, tenantId, "2026-11-02", "POST /v1/query", 30, 0, 28, 0, 0, 2],
    [writer.id, tenantId, "2026-11-02", "POST /v1/ingest", 4, 1, 3, 0, 1, 0],
    [theirs.id, otherTenant, "2026-11-02", "POST /v1/query", 1000, 0, 1000, 0, 0, 0],
  ]);
});
afterAll(() => expectOnlyNewSecretsPrinted());

/** The table's row starting with `first`, split into its cells. */
function rowOf(stdout: string, first: string): string[] {
  const line = stdout.split("\n").find((l) => l.startsWith(`${first} `));
  expect(line, `${first} in\n${stdout}`).toBeDefined();
  return line!.trim().split(/\s{2,}/);
}

describe("keygate usage", () => {
  it("a tenant's month: by day with a total, then by route; counts right-aligned", async () => {
    const r = await ok(["usage", "--tenant", tenantId, "--month", "2026-11"], platform);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe(`Usage of tenant ${tenantId}, 2026-11-01 to 2026-11-30 (UTC days).`);
    expect(lines[2]).toMatch(/^DAY\s+REQUESTS\s+REFUSED\s+2XX\s+3XX\s+4XX\s+5XX$/);
    expect(rowOf(r.stdout, "2026-11-01")).toEqual(["2026-11-01", "1200", "15", "1180", "0", "5", "0"]);
    expect(rowOf(r.stdout, "2026-11-02")).toEqual(["2026-11-02", "34", "1", "31", "0", "1", "2"]);
    expect(rowOf(r.stdout, "TOTAL")).toEqual(["TOTAL", "1234", "16", "1211", "0", "6", "2"]);
    expect(r.stdout).not.toContain("2026-10-31");
    expect(rowOf(r.stdout, "POST /v1/query")).toEqual(["POST /v1/query", "1230", "15", "1208", "0", "5", "2"]);
    expect(rowOf(r.stdout, "POST /v1/ingest")).toEqual(["POST /v1/ingest", "4", "1", "3", "0", "1", "0"]);
    // Right-aligned: every count ends where its header does.
    const header = lines[2]!;
    const total = lines.find((l) => l.startsWith("TOTAL"))!;
    expect(total.indexOf("1234") + 4).toBe(header.indexOf("REQUESTS") + "REQUESTS".length);
    expect(r.stderr).toBe("");
  });

  it("one key, --from/--to; --json is the API's body", async () => {
    const r = await ok(["usage", "--key", reader.id, "--from", "2026-10-31", "--to", "2026-11-01"], platform);
    expect(r.stdout).toMatch(new RegExp(`^Usage of key ${reader.id}, 2026-10-31 to 2026-11-01 \\(UTC days\\)\\.$`, "m"));
    expect(r.stdout).toMatch(/^Last used: never\.$/m);
    expect(rowOf(r.stdout, "TOTAL")).toEqual(["TOTAL", "1207", "15", "1187", "0", "5", "0"]);
    expect(r.stdout).not.toContain("/v1/ingest");

    const j = parseJson(await ok(["usage", "--json", "--key", writer.id, "--month", "2026-11"], platform));
    expect(j).toMatchObject({ keyId: writer.id, from: "2026-11-01", to: "2026-11-30", totals: { requests: 4, refused: 1 } });
    expect(j.routes).toEqual([expect.objectContaining({ route: "POST /v1/ingest", requests: 4 })]);
  });

  it("without --tenant: every tenant for a platform key, its own for a tenant admin", async () => {
    const all = await ok(["usage", "--from", "2026-11-02", "--to", "2026-11-02"], platform);
    expect(all.stdout.split("\n")[0]).toBe("Usage of every tenant, 2026-11-02 to 2026-11-02 (UTC days).");
    expect(rowOf(all.stdout, "TOTAL")[1]).toBe("1034");
    const own = await ok(["usage", "--from", "2026-11-02", "--to", "2026-11-02"], admin);
    expect(own.stdout.split("\n")[0]).toBe(`Usage of tenant ${tenantId}, 2026-11-02 to 2026-11-02 (UTC days).`);
    expect(rowOf(own.stdout, "TOTAL")[1]).toBe("34");
  });

  it("a period without traffic says so", async () => {
    const r = await ok(["usage", "--tenant", tenantId, "--month", "2025-02"], platform);
    expect(r.stdout).toBe(`Usage of tenant ${tenantId}, 2025-02-01 to 2025-02-28 (UTC days).\n\nNo requests in this period.\n`);
    expect((await ok(["usage", "--tenant", tenantId, "--month", "2024-02"], platform)).stdout).toContain("2024-02-01 to 2024-02-29");
  });

  it("API errors exit 1: no such key or tenant (404), another tenant's (404), no admin scope (403)", async () => {
    const key = await cli(["usage", "--key", "key_0000000000000000"], platform);
    expect(key.code).toBe(1);
    expect(key.stdout).toBe("");
    expect(key.stderr).toContain("404 Not found: No such key.");
    expect(key.stderr).toMatch(/request id: \S+/);
    const tenant = await cli(["usage", "--json", "--tenant", "ten_0000000000000000"], platform);
    expect(tenant.code).toBe(1);
    expect(parseJson(tenant)).toMatchObject({ status: 404 });
    expect((await cli(["usage", "--tenant", otherTenant], admin)).stderr).toContain("404 Not found");
    const forbidden = await cli(["usage"], reader.key);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain("403 Insufficient scope");
  });

  it.each([
    [["usage", "--tenant", "ten_0000000000000000", "--key", "key_0000000000000000"], "give --tenant or --key, not both"],
    [["usage", "--month", "2026-11", "--from", "2026-11-01"], "give --month or --from/--to, not both"],
    [["usage", "--month", "2026-13"], "--month must be YYYY-MM"],
    [["usage", "--month", "Nov"], "--month must be YYYY-MM"],
    [["usage", "--from", "2026-02-30"], "--from must be a UTC day, YYYY-MM-DD"],
    [["usage", "--to", "2026-11-01T00:00:00Z"], "--to must be a UTC day"],
    [["usage", "--from", "2026-11-02", "--to", "2026-11-01"], "--from 2026-11-02 is after --to 2026-11-01"],
    [["usage", "--key", "ten_0000000000000000"], "--key takes a key's id (key_…), not a secret"],
    [["usage", "--tenant", "acme"], "--tenant takes a tenant id (ten_…)"],
    [["usage", "--limit", "5"], "'usage' does not take --limit"],
    [["usage", "key_0000000000000000"], "unexpected argument 'key_0000000000000000'"],
  ])("usage error: keygate %j", async (argv, message) => {
    const r = await cli(argv, platform);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe("");
    expect(r.fetches).toBe(0);
  });
});
