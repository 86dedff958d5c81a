// What a client can get wrong with alert rules: bodies the schema refuses (422 naming the field),
// webhook URLs that may not receive webhooks (not https, credentials in them, plain http or a
// private address in production), tenants and rules that do not exist (404), and the rule limit.
import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_RULES_PER_TENANT } from "../../src/insight/alert-routes.ts";
import { countRows, expectProblem, patch } from "../support/admin.ts";
import { send, settleBackground, withEnv } from "../support/faults.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { createRule, Receiver } from "../support/webhooks.ts";

let platform: string;
let admin: string;
const hook = new Receiver().url;
const valid = { name: "errors", metric: "error_rate", threshold: 0.05, windowMinutes: 5, webhookUrl: hook };
beforeAll(async () => {
  platform = await platformKey();
  ({ admin } = await tenantWithAdmin(platform));
});
afterAll(() => settleBackground());

async function expectFieldError(res: Response, field: string): Promise<any> {
  const problem = await expectProblem(res, 422, "validation-failed");
  expect(problem.errors.map((e: any) => e.path), JSON.stringify(problem.errors)).toContain(field);
  return problem;
}

describe("POST /v1/alerts: invalid bodies → 422 naming the field, nothing stored", () => {
  it.each([
    ["metric", { metric: "latency" }],
    ["metric", { metric: undefined }],
    ["threshold", { threshold: -1 }],
    ["threshold", { threshold: "10" }],
    ["threshold", { threshold: null }],
    ["windowMinutes", { windowMinutes: 0 }],
    ["windowMinutes", { windowMinutes: 1441 }],
    ["windowMinutes", { windowMinutes: 2.5 }],
    ["name", { name: "" }],
    ["name", { name: "bell\u0007" }],
    ["name", { name: "kg_live_0123456789abcdefghijklmnopqrstuvwxyzAB" }],
    ["webhookUrl", { webhookUrl: "" }],
    ["enabled", { enabled: "yes" }],
    ["(root)", { secret: "whsec_mine" }],
    ["(root)", { state: "firing" }],
  ])("%s: %j", async (field, change) => {
    const before = await countRows("SELECT count(*) AS n FROM alert_rules");
    await expectFieldError(await call("/v1/alerts", { key: admin, body: { ...valid, ...change } }), field);
    expect(await countRows("SELECT count(*) AS n FROM alert_rules")).toBe(before);
  });

  it.each([
    ["not a URL", "hooks.example.com/keygate", /absolute https URL/],
    ["ftp", "ftp://hooks.example.com/keygate", /must be https/],
    ["plain http to another host", "http://hooks.example.com/keygate", /must be https \(or http:\/\/127\.0\.0\.1/],
    ["credentials", "https://user:pass@hooks.example.com/keygate", /must not contain credentials/],
    ["a user name alone", "https://token@hooks.example.com/keygate", /must not contain credentials/],
    ["credentials on loopback", "http://user:pw@127.0.0.1:9/hook", /must not contain credentials/],
  ])("webhookUrl, %s: 422 saying why", async (_what, webhookUrl, message) => {
    const problem = await expectFieldError(await call("/v1/alerts", { key: admin, body: { ...valid, webhookUrl } }), "webhookUrl");
    expect(problem.errors[0].message).toMatch(message);
    expect(problem.detail).toMatch(/^webhookUrl /);
    // The URL, credentials and all, is not echoed back.
    expect(JSON.stringify(problem)).not.toContain("pass@");
  });

  it("outside production, http to 127.0.0.1 and localhost is fine", async () => {
    for (const webhookUrl of ["http://127.0.0.1:9/hook", "http://localhost:9/hook", "https://localhost/hook"]) {
      expect((await call("/v1/alerts", { key: admin, body: { ...valid, webhookUrl } })).status, webhookUrl).toBe(201);
    }
  });

  it("in production (ENVIRONMENT=production), only https to a public host", async () => {
    const production = withEnv({ ENVIRONMENT: "production" });
    for (const webhookUrl of ["http://127.0.0.1:9/hook", "http://localhost/hook", "https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://[::1]/hook", "https://service.localhost/hook"]) {
      const problem = await expectFieldError(await send(production, "/v1/alerts", { key: admin, body: { ...valid, webhookUrl } }), "webhookUrl");
      expect(problem.errors[0].message, webhookUrl).toMatch(/https|public host/);
    }
    const ok = await send(production, "/v1/alerts", { key: admin, body: { ...valid, webhookUrl: "https://hooks.example.com/keygate" } });
    expect(ok.status).toBe(201);
    const rule = await json(ok);
    await expectFieldError(await send(production, `/v1/alerts/${rule.id}`, { method: "PATCH", key: admin, body: { webhookUrl: "http://127.0.0.1/x" } }), "webhookUrl");
  });

  it("a platform key naming a tenant that does not exist: 404; a tenant admin naming another tenant: the same 404", async () => {
    const other = await tenantWithAdmin(platform);
    for (const [key, tenant] of [
      [platform, "ten_AAAAAAAAAAAAAAAAAAAA"],
      [admin, other.tenant.id],
      [admin, "ten_AAAAAAAAAAAAAAAAAAAA"],
    ] as const) {
      const problem = await expectProblem(await call("/v1/alerts", { key, body: { ...valid, tenantId: tenant } }), 404, "not-found");
      expect(problem.detail).toBe("No such tenant.");
    }
    await expectFieldError(await call("/v1/alerts", { key: platform, body: { ...valid, tenantId: "acme" } }), "tenantId");
  });

  it(`a tenant's ${MAX_RULES_PER_TENANT + 1}st rule is 409, and nothing is stored`, async () => {
    const t = await tenantWithAdmin(platform);
    const insert = env.DB.prepare(
      "INSERT INTO alert_rules (id, tenant_id, name, metric, threshold, window_minutes, webhook_url, secret, enabled, state, created_at, updated_at) VALUES (?, ?, 'r', 'requests', 1, 1, ?, 'whsec_AAAA', 0, 'ok', 0, 0)",
    );
    await env.DB.batch(Array.from({ length: MAX_RULES_PER_TENANT }, (_, i) => insert.bind(`alr_limit${String(i).padStart(12, "0")}`, t.tenant.id, hook)));
    const problem = await expectProblem(await call("/v1/alerts", { key: t.admin, body: valid }), 409, "conflict");
    expect(problem.detail).toContain(`${MAX_RULES_PER_TENANT}`);
    expect(await countRows("SELECT count(*) AS n FROM alert_rules WHERE tenant_id = ?", t.tenant.id)).toBe(MAX_RULES_PER_TENANT);
    expect(await countRows("SELECT count(*) AS n FROM audit_log WHERE target_id LIKE 'alr_%' AND tenant_id = ?", t.tenant.id)).toBe(0);
  });
});

describe("PATCH /v1/alerts/{id}", () => {
  it.each([
    ["(root)", {}],
    ["(root)", { tenantId: "ten_AAAAAAAAAAAAAAAAAAAA" }],
    ["threshold", { threshold: -0.5 }],
    ["windowMinutes", { windowMinutes: 10_000 }],
    ["metric", { metric: "cpu" }],
    ["webhookUrl", { webhookUrl: "https://a:b@hooks.example.com" }],
    ["webhookUrl", { webhookUrl: "gopher://hooks.example.com" }],
  ])("%s: %j → 422, the rule unchanged", async (field, body) => {
    const rule = await createRule(admin, valid);
    await expectFieldError(await patch(`/v1/alerts/${rule.id}`, admin, body), field);
    const { secret: _s, ...shown } = rule;
    expect(await json(await call(`/v1/alerts/${rule.id}`, { key: admin }))).toEqual(shown);
  });
});

describe("rules that do not exist", () => {
  const unknown = "alr_AAAAAAAAAAAAAAAAAAAA";
  it.each([
    ["GET", `/v1/alerts/${unknown}`, undefined],
    ["PATCH", `/v1/alerts/${unknown}`, { threshold: 1 }],
    ["DELETE", `/v1/alerts/${unknown}`, undefined],
    ["POST", `/v1/alerts/${unknown}/rotate-secret`, undefined],
    ["GET", `/v1/alerts/${unknown}/events`, undefined],
  ])("%s %s: 404 No such alert rule", async (method, path, body) => {
    const problem = await expectProblem(await call(path, { key: admin, method, body }), 404, "not-found");
    expect(problem.detail).toBe("No such alert rule.");
  });

  it("a deleted rule is 404 everywhere, and deleting it again is 404", async () => {
    const rule = await createRule(admin, valid);
    expect((await call(`/v1/alerts/${rule.id}`, { key: admin, method: "DELETE" })).status).toBe(200);
    await expectProblem(await call(`/v1/alerts/${rule.id}`, { key: admin, method: "DELETE" }), 404, "not-found");
    await expectProblem(await patch(`/v1/alerts/${rule.id}`, admin, { name: "again" }), 404, "not-found");
  });

  it("an id that is not an alert rule's is 422 naming id", async () => {
    for (const id of ["nope", "key_AAAAAAAAAAAAAAAAAAAA", "alr_"]) await expectFieldError(await call(`/v1/alerts/${id}`, { key: admin }), "id");
  });
});

describe("lists", () => {
  it("a cursor that is not one of the list's ids is 400 bad-request naming cursor", async () => {
    const rule = await createRule(admin, valid);
    for (const [path, cursor] of [
      ["/v1/alerts", "garbage"],
      ["/v1/alerts", "key_AAAAAAAAAAAAAAAAAAAA"],
      [`/v1/alerts/${rule.id}/events`, rule.id],
      [`/v1/alerts/${rule.id}/events`, "msg_"],
    ]) {
      const problem = await expectProblem(await call(`${path}?cursor=${cursor}`, { key: admin }), 400, "bad-request");
      expect(problem.errors).toEqual([{ path: "cursor", message: expect.any(String) }]);
    }
    expect((await call(`/v1/alerts/${rule.id}/events?cursor=msg_AAAAAAAAAAAAAAAAAAAA`, { key: admin })).status).toBe(200);
    await expectFieldError(await call("/v1/alerts?state=broken", { key: admin }), "state");
    await expectFieldError(await call("/v1/alerts?limit=0", { key: admin }), "limit");
  });
});

it("keys without the admin scope cannot reach alert rules (403)", async () => {
  const reader = await createKey(admin, { permissionSet: "read_only" });
  await expectProblem(await call("/v1/alerts", { key: reader.key }), 403, "insufficient-scope");
  await expectProblem(await call("/v1/alerts", { key: reader.key, body: valid }), 403, "insufficient-scope");
});
