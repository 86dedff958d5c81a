// GET /v1/usage and GET /v1/keys/{id}/usage add what the days cost: tokens from the analytics day
// rollups over the same UTC days, in USD at each tenant's current price. The rest is unchanged.
import { beforeAll, describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS } from "../../src/analytics/rollup.ts";
import { privateDay, seed, type Seeded } from "../support/analytics-seed.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
let admin: string;
let tenantId: string;
let k1: string;
let k2: string;
let otherTenant: string;
const D0 = privateDay();
const day = (n: number) => new Date(D0 + n * DAY_MS).toISOString().slice(0, 10);

beforeAll(async () => {
  platform = await platformKey();
  ({ admin, tenant: { id: tenantId } } = await tenantWithAdmin(platform, { plan: "pro", pricePer1kTokens: 0.5 }));
  otherTenant = (await tenantWithAdmin(platform, { plan: "pro" })).tenant.id;
  k1 = (await createKey(admin, { scopes: ["query"] })).id;
  k2 = (await createKey(admin, { scopes: ["query"] })).id;
  const other = (await createKey(platform, { tenantId: otherTenant, scopes: ["query"] })).id;
  const s = (tenant: string, keyId: string, cost: number, at: number): Seeded => ({ tenantId: tenant, keyId, route: "POST /v1/query", outcome: "valid", status: 200, cost, latencyMs: 5, at });
  await seed([
    s(tenantId, k1, 100, D0 + HOUR_MS),
    s(tenantId, k1, 40, D0 + DAY_MS + HOUR_MS),
    s(tenantId, k2, 60, D0 + DAY_MS + 23 * HOUR_MS),
    s(tenantId, k2, 1000, D0 + 2 * DAY_MS),
    s(otherTenant, other, 2000, D0 + DAY_MS),
    s("", "", 0, D0 + DAY_MS),
  ]);
});

const usage = async (path: string, key: string) => {
  const res = await call(path, { key });
  expect(res.status, await res.clone().text()).toBe(200);
  return json(res);
};

describe("usage totals: cost and costUsd", () => {
  it("a tenant's days, at its own price; the usage fields as before", async () => {
    const u = await usage(`/v1/usage?from=${day(0)}&to=${day(1)}`, admin);
    expect(u.totals).toEqual({ requests: 0, refused: 0, status2xx: 0, status3xx: 0, status4xx: 0, status5xx: 0, cost: 200, costUsd: 0.1, bytes: 0 });
    expect(u).toMatchObject({ tenantId, from: day(0), to: day(1), days: [], routes: [] });
    expect((await usage(`/v1/usage?from=${day(1)}&to=${day(1)}`, admin)).totals).toMatchObject({ cost: 100, costUsd: 0.05 });
  });

  it("a key's days", async () => {
    expect((await usage(`/v1/keys/${k2}/usage?from=${day(0)}&to=${day(2)}`, admin)).totals).toMatchObject({ cost: 1060, costUsd: 0.53 });
    expect((await usage(`/v1/keys/${k1}/usage?from=${day(1)}&to=${day(1)}`, platform)).totals).toMatchObject({ cost: 40, costUsd: 0.02 });
  });

  it("a platform key: the tenant it names at that tenant's price, or every tenant's, each at its own", async () => {
    expect((await usage(`/v1/usage?tenantId=${otherTenant}&from=${day(1)}&to=${day(1)}`, platform)).totals).toMatchObject({ cost: 2000, costUsd: 0.004 });
    expect((await usage(`/v1/usage?from=${day(1)}&to=${day(1)}`, platform)).totals).toMatchObject({ cost: 2100, costUsd: 0.054 });
  });

  it("days without traffic cost 0", async () => {
    expect((await usage(`/v1/usage?from=${day(-5)}&to=${day(-1)}`, admin)).totals).toMatchObject({ cost: 0, costUsd: 0 });
  });
});
