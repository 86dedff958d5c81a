// keygate analytics and keygate analytics offenders against the Worker, over rollups written as
// the keys' objects write them; and a tenant's price through keygate tenants.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOUR_MS, MINUTE_MS } from "../../src/analytics/rollup.ts";
import { isoOf, privateDay, seed, seedOffenders, type Seeded } from "../support/analytics-seed.ts";
import { cli, expectOnlyNewSecretsPrinted, ok, parseJson, secretIn } from "../support/cli.ts";

let platform: string;
let admin: string;
let tenantId: string;
let keyId: string;
const T0 = privateDay() + 10 * HOUR_MS;
const range = ["--from", isoOf(T0), "--to", isoOf(T0 + 2 * HOUR_MS)];

beforeAll(async () => {
  platform = secretIn(await ok(["bootstrap"]));
  tenantId = parseJson(await ok(["tenants", "create", "--json", "--name", "Acme", "--slug", "acme", "--plan", "free", "--price-per-1k", "0.5"], platform)).id;
  keyId = parseJson(await ok(["keys", "create", "--json", "--tenant", tenantId, "--name", "reader", "--scopes", "query"], platform)).id;
  admin = secretIn(await ok(["keys", "create", "--tenant", tenantId, "--name", "acme-admin", "--permission-set", "full_access"], platform));
  const s = (outcome: Seeded["outcome"], status: number, cost: number, latencyMs: number, at: number): Seeded => ({
    tenantId,
    keyId,
    route: "POST /v1/query",
    outcome,
    status,
    cost,
    latencyMs,
    at,
  });
  await seed([
    s("valid", 200, 10, 3, T0 + 1000),
    s("valid", 200, 10, 30, T0 + 2000),
    s("rate_limited", 429, 0, 1, T0 + 3000),
    s("valid", 200, 2, 8, T0 + HOUR_MS + 5 * MINUTE_MS),
  ]);
  await seedOffenders([
    { at: T0, network: "203.0.113.0/24", outcome: "unknown_key", requests: 40 },
    { at: T0, network: "203.0.113.0/24", outcome: "malformed_key", requests: 2 },
    { at: T0, network: "2001:db8:1::/48", outcome: "unknown_key", requests: 9 },
  ]);
});
afterAll(() => expectOnlyNewSecretsPrinted());

/** The table's row starting with `first`, split into its cells. */
function rowOf(stdout: string, first: string): string[] {
  const line = stdout.split("\n").find((l) => l.startsWith(`${first} `));
  expect(line, `${first} in\n${stdout}`).toBeDefined();
  return line!.trim().split(/\s{2,}/);
}

describe("keygate analytics", () => {
  it("by hour and outcome: one row per bucket and outcome, cost in tokens and USD, latency percentiles", async () => {
    const r = await ok(["analytics", ...range, "--group-by", "outcome", "--tenant", tenantId], platform);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe(`Requests by hour, ${isoOf(T0).replace(".000", "")} to ${isoOf(T0 + 2 * HOUR_MS).replace(".000", "")} (UTC), tenant ${tenantId}.`);
    expect(lines[2]).toMatch(/^TIME\s+OUTCOME\s+REQUESTS\s+COST\s+USD\s+P50\s+P95\s+P99$/);
    const at = (ms: number) => isoOf(ms).replace(".000", "");
    const rows = lines.slice(3).filter((l) => l.startsWith(at(T0).slice(0, 10)));
    expect(rows.map((l) => l.trim().split(/\s{2,}/))).toEqual([
      [at(T0), "rate_limited", "1", "0", "0", "0.5", "0.95", "0.99"],
      [at(T0), "valid", "2", "20", "0.01", "5", "47.5", "49.5"],
      [at(T0 + HOUR_MS), "valid", "1", "2", "0.001", "7.5", "9.75", "9.95"],
    ]);
    expect(r.stdout).toContain("P50/P95/P99 are latency in ms");
    expect(r.stderr).toBe("");
  });

  it("by minute, one series, as the tenant's own admin; --json is the API's body", async () => {
    const r = await ok(["analytics", ...range, "--interval", "minute"], admin);
    expect(rowOf(r.stdout, isoOf(T0).replace(".000", ""))).toEqual([isoOf(T0).replace(".000", ""), "3", "20", "0.01", "3.5", "46.25", "49.25"]);
    const j = parseJson(await ok(["analytics", "--json", ...range, "--interval", "day", "--group-by", "status", "--key", keyId], admin));
    expect(j).toMatchObject({ interval: "day", groupBy: "status" });
    expect(j.data.map((p: any) => [p.status, p.requests, p.cost, p.costUsd])).toEqual([
      ["2xx", 3, 22, 0.011],
      ["4xx", 1, 0, 0],
    ]);
  });

  it("filters by route and outcome; a period without traffic says so", async () => {
    const r = await ok(["analytics", ...range, "--route", "POST /v1/query", "--outcome", "rate_limited", "--group-by", "route"], platform);
    expect(r.stdout.split("\n")[0]).toContain(", route POST /v1/query, outcome rate_limited.");
    expect(rowOf(r.stdout, isoOf(T0).replace(".000", ""))).toEqual([isoOf(T0).replace(".000", ""), "POST /v1/query", "1", "0", "0", "0.5", "0.95", "0.99"]);
    const none = await ok(["analytics", "--from", isoOf(T0 - 5 * HOUR_MS), "--to", isoOf(T0 - 4 * HOUR_MS), "--tenant", tenantId], platform);
    expect(none.stdout.split("\n").slice(1).join("\n")).toBe("\nNo requests in this period.\n");
  });

  it("offenders: networks by failed authentications, with their outcomes", async () => {
    const r = await ok(["analytics", "offenders", "--from", isoOf(T0), "--to", isoOf(T0 + HOUR_MS)], platform);
    expect(r.stdout.split("\n")[0]).toBe(`Failed authentications by client network, ${isoOf(T0).replace(".000", "")} to ${isoOf(T0 + HOUR_MS).replace(".000", "")} (UTC hours).`);
    expect(rowOf(r.stdout, "203.0.113.0/24")).toEqual(["203.0.113.0/24", "42", "unknown_key 40, malformed_key 2"]);
    expect(rowOf(r.stdout, "2001:db8:1::/48")).toEqual(["2001:db8:1::/48", "9", "unknown_key 9"]);
    const one = parseJson(await ok(["analytics", "offenders", "--json", "--from", isoOf(T0), "--to", isoOf(T0 + HOUR_MS), "--limit", "1"], platform));
    expect(one.data.map((o: any) => o.network)).toEqual(["203.0.113.0/24"]);
    const denied = await cli(["analytics", "offenders"], admin);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain("403 Insufficient scope");
  });

  it("API errors exit 1: a range too long for the interval names the one that fits", async () => {
    const r = await cli(["analytics", "--interval", "minute", "--from", "10d"], platform);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/422 Validation failed: A range of 10 days has too many minutes: use interval=hour \(up to 90 days\) or interval=day\./);
  });

  it.each([
    [["analytics", "--interval", "week"], "--interval must be one of minute, hour, day"],
    [["analytics", "--group-by", "color"], "--group-by must be one of outcome, route, key, tenant, status"],
    [["analytics", "--outcome", "ok"], "--outcome must be one of valid, rate_limited"],
    [["analytics", "--from", "yesterday"], "--from must be an ISO time with its zone"],
    [["analytics", "--to", "2026-02-30"], "--to must be an ISO time with its zone"],
    [["analytics", "--from", "2026-11-02", "--to", "2026-11-01"], "--from 2026-11-02 is not before --to 2026-11-01"],
    [["analytics", "--key", "ten_0000000000000000"], "--key takes a key's id (key_…), not a secret"],
    [["analytics", "--tenant", "acme"], "--tenant takes a tenant id (ten_…)"],
    [["analytics", "--route", " "], "--route must not be empty"],
    [["analytics", "--limit", "5"], "'analytics' does not take --limit"],
    [["analytics", "bogus"], "unexpected argument 'bogus'"],
    [["analytics", "offenders", "--limit", "0"], "--limit must be a whole number of at least 1"],
    [["analytics", "offenders", "--group-by", "route"], "'analytics offenders' does not take --group-by"],
    [["tenants", "create", "--name", "X", "--slug", "x", "--price-per-1k", "-1"], "--price-per-1k must be USD per 1,000 tokens"],
    [["tenants", "update", "ten_0000000000000000", "--price-per-1k", "cheap"], "--price-per-1k must be USD per 1,000 tokens"],
  ])("usage error: keygate %j", async (argv, message) => {
    const r = await cli(argv, platform);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe("");
    expect(r.fetches).toBe(0);
  });

  it("help says what each flag does", async () => {
    const help = (await ok(["analytics", "--help"])).stdout;
    for (const flag of ["--from", "--to", "--interval", "--group-by", "--tenant", "--key", "--route", "--outcome"]) expect(help).toContain(`  ${flag} `);
    expect((await ok(["help", "analytics", "offenders"])).stdout).toMatch(/Usage: keygate analytics offenders \[--from T\] \[--to T\] \[--limit N\]/);
    expect((await ok(["help"])).stdout).toMatch(/^ {2}analytics offenders\s+The client networks/m);
  });
});

describe("keygate tenants --price-per-1k", () => {
  it("create sets it, update changes it and 'default' returns to the plan's; show prints price and month's cost", async () => {
    const shown = await ok(["tenants", "show", tenantId], platform);
    expect(shown.stdout).toMatch(/^price:\s+0\.5 USD per 1,000 tokens \(override\)$/m);
    // The seeded traffic is years ahead: not this month's.
    expect(shown.stdout).toMatch(/^cost this month:\s+0 USD \(UTC month to date, at the current price\)$/m);
    const changed = parseJson(await ok(["tenants", "update", tenantId, "--json", "--price-per-1k", "0.25"], platform));
    expect(changed).toMatchObject({ pricePer1kTokens: 0.25, priceSource: "tenant" });
    const reset = await ok(["tenants", "update", tenantId, "--price-per-1k", "default"], platform);
    expect(reset.stdout).toMatch(/^price:\s+0 USD per 1,000 tokens$/m);
  });
});
