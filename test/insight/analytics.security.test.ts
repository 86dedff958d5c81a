// What a tenant admin tries on GET /v1/analytics to see past its tenant: naming another tenant,
// another tenant's key, grouping by tenant or key, keyless routes and outcomes. It only ever gets
// its own tenant's rows (never the keyless ones), or the 404 /v1/usage gives. And input shaped
// like SQL in the filters is a value compared, never SQL run.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../src/analytics/rollup.ts";
import { expectProblem } from "../support/admin.ts";
import { isoOf, privateDay, seed, type Seeded } from "../support/analytics-seed.ts";
import { call, createKey, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
let mine: { admin: string; tenantId: string; keyId: string };
let theirs: { tenantId: string; keyId: string };
const D0 = privateDay();
const range = { interval: "day", from: isoOf(D0), to: isoOf(D0 + DAY_MS) };

beforeAll(async () => {
  platform = await platformKey();
  const a = await tenantWithAdmin(platform);
  const b = await tenantWithAdmin(platform);
  mine = { admin: a.admin, tenantId: a.tenant.id, keyId: (await createKey(platform, { tenantId: a.tenant.id, scopes: ["query"] })).id };
  theirs = { tenantId: b.tenant.id, keyId: (await createKey(platform, { tenantId: b.tenant.id, scopes: ["query"] })).id };
  const at = D0 + 3 * HOUR_MS;
  const traffic = (tenantId: string, keyId: string, n: number, route = "POST /v1/query", outcome: Seeded["outcome"] = "valid", status = 200): Seeded[] =>
    Array.from({ length: n }, (_, i) => ({ tenantId, keyId, route, outcome, status, cost: 3, latencyMs: 10, at: at + i * MINUTE_MS }));
  await seed([
    ...traffic(mine.tenantId, mine.keyId, 2),
    ...traffic(theirs.tenantId, theirs.keyId, 50),
    ...traffic(theirs.tenantId, theirs.keyId, 7, "GET /v1/secret-route", "forbidden", 403),
    ...traffic("", "", 11, "(unauthenticated)", "unknown_key", 401),
  ]);
});

async function asTenant(query: Record<string, string>) {
  const res = await call(`/v1/analytics?${new URLSearchParams({ ...range, ...query })}`, { key: mine.admin });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(text).not.toContain(theirs.tenantId);
  expect(text).not.toContain(theirs.keyId);
  expect(text).not.toContain("secret-route");
  expect(text).not.toContain("unauthenticated");
  return JSON.parse(text);
}

const total = (body: any) => body.data.reduce((n: number, p: any) => n + p.requests, 0);

describe("a tenant admin sees only its tenant's rows", () => {
  it("whatever it groups by: its 2 requests, its tenant and key only, never a keyless null", async () => {
    for (const groupBy of [undefined, "tenant", "key", "route", "outcome", "status"]) {
      const body = await asTenant(groupBy ? { groupBy } : {});
      expect(total(body), groupBy).toBe(2);
      if (groupBy === "tenant") expect(body.data.map((p: any) => p.tenant)).toEqual([mine.tenantId]);
      if (groupBy === "key") expect(body.data.map((p: any) => p.key)).toEqual([mine.keyId]);
    }
  });

  it("filters for rows it does not own find nothing: another tenant's key, route or status, keyless outcomes", async () => {
    const queries: Record<string, string>[] = [
      { keyId: theirs.keyId },
      { keyId: theirs.keyId, groupBy: "tenant" },
      { route: "GET /v1/secret-route" },
      { outcome: "forbidden", groupBy: "key" },
      { route: "(unauthenticated)" },
      { outcome: "unknown_key", groupBy: "tenant" },
    ];
    for (const query of queries) {
      expect((await asTenant(query)).data, JSON.stringify(query)).toEqual([]);
    }
  });

  it("naming the other tenant is the 404 /v1/usage gives, alone or with anything else", async () => {
    const queries: Record<string, string>[] = [{ tenantId: theirs.tenantId }, { tenantId: theirs.tenantId, groupBy: "tenant" }, { tenantId: theirs.tenantId, keyId: theirs.keyId }];
    for (const query of queries) {
      const res = await call(`/v1/analytics?${new URLSearchParams({ ...range, ...query })}`, { key: mine.admin });
      const body = await expectProblem(res, 404, "not-found");
      expect(body.detail).toBe("No such tenant.");
      expect(JSON.stringify(body)).not.toContain(theirs.keyId);
    }
  });

  it("a platform key sees all of it, keyless rows included, for comparison", async () => {
    const res = await call(`/v1/analytics?${new URLSearchParams({ ...range, groupBy: "tenant" })}`, { key: platform });
    const body = await res.json<any>();
    const byTenant = Object.fromEntries(body.data.map((p: any) => [p.tenant ?? "(none)", p.requests]));
    expect(byTenant).toEqual({ [mine.tenantId]: 2, [theirs.tenantId]: 57, "(none)": 11 });
  });
});

describe("SQL-shaped input is inert", () => {
  const hostile = [
    "' OR '1'='1",
    "POST /v1/query' OR 1=1 --",
    "x'); DROP TABLE analytics_day; --",
    "%",
    "POST /v1/%",
    "\" OR \"\"=\"",
    "1 UNION SELECT * FROM tenants",
  ];

  it("in route: a value compared exactly, matching nothing (platform key, every tenant)", async () => {
    for (const route of hostile) {
      const res = await call(`/v1/analytics?${new URLSearchParams({ ...range, route })}`, { key: platform });
      const text = await res.text();
      expect(res.status, route).toBe(200);
      expect(JSON.parse(text).data, route).toEqual([]);
    }
    // The exact route still matches, and the tables are all there.
    const exact = await call(`/v1/analytics?${new URLSearchParams({ ...range, route: "POST /v1/query", tenantId: theirs.tenantId })}`, { key: platform });
    expect(total(await exact.json())).toBe(50);
    const count = await env.DB.prepare("SELECT count(*) AS n FROM analytics_day WHERE bucket = ?").bind(D0).first<{ n: number }>();
    expect(count!.n).toBeGreaterThan(0);
  });

  it("in route, for a tenant admin: nothing of another tenant's", async () => {
    for (const route of hostile) expect((await asTenant({ route })).data, route).toEqual([]);
  });

  it("in keyId, tenantId, groupBy, outcome or interval: 422, not a query", async () => {
    for (const [field, value] of [
      ["keyId", "key_x' OR 1=1 --"],
      ["keyId", `${theirs.keyId}' OR '1'='1`],
      ["tenantId", `${theirs.tenantId}' --`],
      ["groupBy", "tenant_id"],
      ["groupBy", "route; DROP TABLE tenants"],
      ["outcome", "valid' OR '1'='1"],
      ["interval", "hour) UNION SELECT"],
    ] as const) {
      const res = await call(`/v1/analytics?${new URLSearchParams({ ...range, [field]: value })}`, { key: mine.admin });
      const body = await expectProblem(res, 422, "validation-failed");
      expect(body.errors.map((e: any) => e.path), `${field}=${value}`).toContain(field);
    }
  });
});
