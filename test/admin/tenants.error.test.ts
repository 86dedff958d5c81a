import { beforeAll, describe, expect, it } from "vitest";
import { call, createTenant, json, platformKey } from "../support/gateway.ts";
import { countRows, expectProblem, patch, whoAmI } from "../support/admin.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const MISSING_TENANT = "ten_0000000000000000000000";
const uniqueSlug = (base: string) => `${base}-${crypto.randomUUID().slice(0, 8)}`;

describe("tenants: invalid bodies → 422 validation-failed", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["no name", { slug: "no-name" }, "name"],
    ["no slug", { name: "X" }, "slug"],
    ["an uppercase slug", { name: "X", slug: "Acme" }, "slug"],
    ["a slug with a leading hyphen", { name: "X", slug: "-acme" }, "slug"],
    ["a slug with a trailing hyphen", { name: "X", slug: "acme-" }, "slug"],
    ["a slug over 63 characters", { name: "X", slug: "a".repeat(64) }, "slug"],
    ["a slug with a space", { name: "X", slug: "ac me" }, "slug"],
    ["an unknown plan", { name: "X", slug: "plan-x", plan: "gold" }, "plan"],
    ["a rate limit with an unknown field", { name: "X", slug: "rl-x", rateLimit: { capacity: 1, refillPerSecond: 1, burst: 2 } }, "rateLimit"],
    ["a non-positive refill", { name: "X", slug: "rl-y", rateLimit: { capacity: 1, refillPerSecond: 0 } }, "rateLimit.refillPerSecond"],
    ["a zero monthlyQuota", { name: "X", slug: "mq-x", monthlyQuota: 0 }, "monthlyQuota"],
    ["a zero maxKeys", { name: "X", slug: "mk-x", maxKeys: 0 }, "maxKeys"],
    ["an unknown field", { name: "X", slug: "uf-x", active: false }, ""],
  ];
  it.each(cases)("POST /v1/tenants with %s", async (_label, body, path) => {
    const problem = await expectProblem(await call("/v1/tenants", { key: platform, body }), 422, "validation-failed");
    expect(problem.errors.length).toBeGreaterThan(0);
    for (const e of problem.errors) expect(e).toEqual({ path: expect.any(String), message: expect.any(String) });
    if (path) expect(problem.errors.map((e: any) => e.path)).toContain(path);
  });

  it("PATCH: null for a required field, unknown fields, wrong types", async () => {
    const t = await createTenant(platform);
    for (const body of [{}, { name: null }, { plan: null }, { active: null }, { slug: "new-slug" }, { active: "false" }, { plan: "gold" }, { maxKeys: -1 }]) {
      await expectProblem(await patch(`/v1/tenants/${t.id}`, platform, body), 422, "validation-failed");
    }
    expect(await json(await call(`/v1/tenants/${t.id}`, { key: platform }))).toEqual(t);
    // None of the refused updates left an audit row.
    expect(await countRows("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'tenant.update'", t.id)).toBe(0);
  });

  it("query and path parameters", async () => {
    await expectProblem(await call("/v1/tenants?limit=0", { key: platform }), 422, "validation-failed");
    await expectProblem(await call("/v1/tenants?active=maybe", { key: platform }), 422, "validation-failed");
    await expectProblem(await call("/v1/tenants/acme", { key: platform }), 422, "validation-failed");
  });
});

describe("tenants: transport errors", () => {
  it("415 / 400 / 413", async () => {
    await expectProblem(
      await call("/v1/tenants", { key: platform, body: "name=x", headers: { "content-type": "application/x-www-form-urlencoded" } }),
      415,
      "unsupported-media-type",
    );
    await expectProblem(await call("/v1/tenants", { key: platform, body: "{'name': 'single quotes'}" }), 400, "bad-request");
    const big = JSON.stringify({ name: "x", slug: uniqueSlug("big"), pad: "p".repeat(70_000) });
    await expectProblem(await call("/v1/tenants", { key: platform, body: big }), 413, "payload-too-large");
  });

  it("405 with Allow", async () => {
    const t = await createTenant(platform);
    const del = await call(`/v1/tenants/${t.id}`, { method: "DELETE", key: platform });
    expect(del.headers.get("allow")).toBe("GET, PATCH");
    await expectProblem(del, 405, "method-not-allowed");
    const put = await call("/v1/tenants", { method: "PUT", key: platform, body: {} });
    expect(put.headers.get("allow")).toBe("GET, POST");
    await expectProblem(put, 405, "method-not-allowed");
  });
});

describe("tenants: not found and conflicts", () => {
  it("404 for a tenant that does not exist", async () => {
    await expectProblem(await call(`/v1/tenants/${MISSING_TENANT}`, { key: platform }), 404, "not-found");
    await expectProblem(await patch(`/v1/tenants/${MISSING_TENANT}`, platform, { name: "x" }), 404, "not-found");
  });

  it("409 slug-taken for a duplicate slug, with nothing written", async () => {
    const t = await createTenant(platform);
    const before = {
      tenants: await countRows("SELECT count(*) AS n FROM tenants"),
      audit: await countRows("SELECT count(*) AS n FROM audit_log"),
    };
    const problem = await expectProblem(
      await call("/v1/tenants", { key: platform, body: { name: "Copycat", slug: t.slug } }),
      409,
      "slug-taken",
    );
    expect(problem.detail).toContain(t.slug);
    expect(await countRows("SELECT count(*) AS n FROM tenants")).toBe(before.tenants);
    expect(await countRows("SELECT count(*) AS n FROM audit_log")).toBe(before.audit);
    expect(await countRows("SELECT count(*) AS n FROM tenants WHERE name = 'Copycat'")).toBe(0);
  });

  it("the platform tenant's slug is taken too", async () => {
    await expectProblem(await call("/v1/tenants", { key: platform, body: { name: "Imposter", slug: "platform" } }), 409, "slug-taken");
  });

  it("409 when a platform key would deactivate its own tenant; nothing changes", async () => {
    const { tenantId } = await whoAmI(platform);
    const auditBefore = await countRows("SELECT count(*) AS n FROM audit_log WHERE target_id = ?", tenantId);
    const problem = await expectProblem(await patch(`/v1/tenants/${tenantId}`, platform, { active: false }), 409, "conflict");
    expect(problem.detail).toMatch(/own tenant/);
    expect(await countRows("SELECT count(*) AS n FROM audit_log WHERE target_id = ?", tenantId)).toBe(auditBefore);
    expect((await json(await call(`/v1/tenants/${tenantId}`, { key: platform }))).active).toBe(true);
    expect((await call("/v1/tenants?limit=1", { key: platform })).status).toBe(200);
    // Other changes to its own tenant are allowed.
    expect((await patch(`/v1/tenants/${tenantId}`, platform, { active: true })).status).toBe(200);
  });
});
