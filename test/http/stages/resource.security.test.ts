// Resources on keys, through a route-table route that names one (/v1/agents/:agentId, type agent):
// exact ids and prefixes, a type the key does not mention (every id) and an empty list (none), the
// refusal naming the type and never the key's list, and a change taking effect within a lease.
import { beforeAll, describe, expect, it } from "vitest";
import { resetLeases } from "../../../src/limits/leases.ts";
import { expectProblem } from "../../support/admin.ts";
import { flushAnalytics, totalsBy } from "../../support/analytics-flush.ts";
import { call, createKey, platformKey, tenantWithAdmin } from "../../support/gateway.ts";
import { changeElsewhere, untilRefused } from "../../support/elsewhere.ts";

let admin: string;
let tenantId: string;
beforeAll(async () => {
  const platform = await platformKey();
  ({ admin, tenant: { id: tenantId } } = await tenantWithAdmin(platform));
});

const agent = (key: string, id: string) => call(`/v1/agents/${id}`, { key });

describe("resources", () => {
  it("exact ids and trailing-* prefixes; other types untouched", async () => {
    const k = await createKey(admin, { scopes: ["query"], resources: { agent: ["a_1", "team-7-*"], vector_store: [] } });
    expect((await agent(k.key, "a_1")).status).toBe(200);
    expect((await agent(k.key, "team-7-alpha")).status).toBe(200);
    const refused = await expectProblem(await agent(k.key, "a_2"), 403, "insufficient-resource");
    expect(refused.detail).toContain("agent");
    expect(JSON.stringify(refused)).not.toContain("a_1");
    expect(JSON.stringify(refused)).not.toContain("team-7");
    await expectProblem(await agent(k.key, "a_10"), 403, "insufficient-resource");
    await expectProblem(await agent(k.key, "team-8-x"), 403, "insufficient-resource");
  });

  it("an empty segment cannot slip past the resource route to a shorter one", async () => {
    const k = await createKey(admin, { scopes: ["query"], resources: { agent: ["a_1"] } });
    await expectProblem(await call("/v1/agents//a_2", { key: k.key }), 400, "bad-request");
    await expectProblem(await call("/v1/agents/a_1//x", { key: k.key }), 400, "bad-request");
  });

  it("a type absent means every id; an empty list means none", async () => {
    const any = await createKey(admin, { scopes: ["query"], resources: { flow: ["f_1"] } });
    expect((await agent(any.key, "whatever")).status).toBe(200);
    const none = await createKey(admin, { scopes: ["query"], resources: { agent: [] } });
    await expectProblem(await agent(none.key, "a_1"), 403, "insufficient-resource");
    const unrestricted = await createKey(admin, { scopes: ["query"] });
    expect((await agent(unrestricted.key, "a_1")).status).toBe(200);
  });

  it("a refusal costs one token, like a scope refusal, and counts as forbidden", async () => {
    const k = await createKey(admin, { scopes: ["query"], resources: { agent: ["a_1"] }, rateLimit: { capacity: 3, refillPerSecond: 0.001 } });
    for (let i = 0; i < 2; i++) await expectProblem(await agent(k.key, "a_2"), 403, "insufficient-resource");
    expect((await agent(k.key, "a_1")).status).toBe(200);
    expect((await agent(k.key, "a_1")).status).toBe(429);
    await flushAnalytics([{ id: k.id, tenantId }]);
    expect(await totalsBy("analytics_day", "outcome", "key_id = ?", k.id)).toEqual({ forbidden: 2, valid: 1, rate_limited: 1 });
    expect(await totalsBy("analytics_day", "route", "key_id = ?", k.id)).toEqual({ "GET /v1/agents/:agentId": 4 });
  });

  it("a change reaches an isolate that still holds the old rules within a lease, through the key's object", async () => {
    const k = await createKey(admin, { scopes: ["query"] });
    expect((await agent(k.key, "a_1")).status).toBe(200);
    await changeElsewhere(k.id, { resources: { agent: ["a_2"] } });
    const { status, ms } = await untilRefused(() => agent(k.key, "a_1"));
    expect(status).toBe(403);
    expect(ms).toBeLessThanOrEqual(1_500);
    resetLeases();
  });
});
