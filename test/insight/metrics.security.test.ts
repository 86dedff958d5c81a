// /v1/metrics shows every tenant's traffic, so the `metrics` scope is a power over every tenant:
// a platform key holds it, only a platform key grants it, and only to keys of its own tenant. A
// key holding only `metrics` reads metrics and nothing else.
import { beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../support/admin.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { scrape } from "../support/metrics.ts";

let platform: string;
let admin: string;
let tenantId: string;
beforeAll(async () => {
  platform = await platformKey();
  ({ admin, tenant: { id: tenantId } } = await tenantWithAdmin(platform));
});

describe("who may read /v1/metrics", () => {
  it("a tenant admin (admin scope, every permission set's scopes) is refused: 403 insufficient-scope naming metrics", async () => {
    const res = await call("/v1/metrics", { key: admin });
    const body = await expectProblem(res, 403, "insufficient-scope");
    expect(body.detail).toContain("'metrics'");
    expect(res.headers.get("www-authenticate")).toMatch(/error="insufficient_scope".*scope="metrics"/);
  });

  it("a platform key reads it: platform grants metrics", async () => {
    const m = await scrape(platform);
    expect(m.families.has("keygate_requests_total")).toBe(true);
  });

  it("a key with only the metrics scope reads metrics and nothing else", async () => {
    const scraper = await createKey(platform, { scopes: ["metrics"] });
    expect(scraper.scopes).toEqual(["metrics"]);
    await scrape(scraper.key);
    for (const [path, method, body] of [
      ["/v1/keys", "GET"],
      ["/v1/keys", "POST", { name: "escalate", scopes: ["metrics"] }],
      ["/v1/tenants", "GET"],
      ["/v1/audit", "GET"],
      ["/v1/usage", "GET"],
      ["/v1/jobs", "GET"],
      [`/v1/keys/${scraper.id}/revoke`, "POST", {}],
    ] as const) {
      const res = await call(path, { key: scraper.key, method, body });
      await expectProblem(res, 403, "insufficient-scope");
    }
    // It cannot even read its own tenant's keys, its own key included.
    await expectProblem(await call(`/v1/keys/${scraper.id}`, { key: scraper.key }), 403, "insufficient-scope");
  });

  it("a tenant admin cannot mint a metrics key, by create or by update", async () => {
    const created = await call("/v1/keys", { key: admin, body: { name: "scraper", scopes: ["metrics"] } });
    const body = await expectProblem(created, 403, "insufficient-scope");
    expect(body.detail).toContain("'metrics'");
    const own = await createKey(admin, { scopes: ["query"] });
    await expectProblem(await call(`/v1/keys/${own.id}`, { method: "PATCH", key: admin, body: { scopes: ["query", "metrics"] } }), 403, "insufficient-scope");
    const after = await json(await call(`/v1/keys/${own.id}`, { key: admin }));
    expect(after.scopes).toEqual(["query"]);
    const listed = await json(await call("/v1/keys", { key: admin }));
    expect(listed.data.map((k: { name: string }) => k.name)).not.toContain("scraper");
  });

  it("a platform key cannot grant metrics to another tenant's key (it would read every tenant's traffic)", async () => {
    const res = await call("/v1/keys", { key: platform, body: { tenantId, name: "scraper", scopes: ["metrics"] } });
    await expectProblem(res, 403, "insufficient-scope");
  });

  it("the exposition never carries a key's secret", async () => {
    const made = await Promise.all([createKey(platform, { tenantId, scopes: ["query"] }), createKey(admin, { scopes: ["query"] })]);
    const m = await scrape(platform);
    expect(m.text).not.toMatch(/kg_(live|test)_/);
    for (const k of [...made.map((x) => x.key as string), platform, admin]) expect(m.text).not.toContain(k.slice(8, 30));
  });
});
