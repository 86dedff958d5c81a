// What a client can get wrong on GET /v1/analytics: every mistake is a 4xx problem naming the
// field, and a range too long for its interval names the interval that fits.
import { beforeAll, describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS } from "../../src/analytics/rollup.ts";
import { expectProblem } from "../support/admin.ts";
import { call, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
let admin: string;
let other: string;
beforeAll(async () => {
  platform = await platformKey();
  ({ admin } = await tenantWithAdmin(platform));
  other = (await tenantWithAdmin(platform)).tenant.id;
});

const T = Date.UTC(2031, 5, 1, 12);
const iso = (ms: number) => new Date(ms).toISOString();
const get = (query: Record<string, string>, key = admin) => call(`/v1/analytics?${new URLSearchParams(query)}`, { key });

async function invalid(query: Record<string, string>, path: string) {
  const body = await expectProblem(await get(query), 422, "validation-failed");
  expect(body.errors.map((e: any) => e.path), JSON.stringify(body)).toContain(path);
  return body;
}

describe("GET /v1/analytics: 422 for a query that cannot be answered", () => {
  it.each([
    [{ interval: "week" }, "interval"],
    [{ interval: "" }, "interval"],
    [{ groupBy: "color" }, "groupBy"],
    [{ groupBy: "tenant_id" }, "groupBy"],
    [{ outcome: "ok" }, "outcome"],
    [{ outcome: "VALID" }, "outcome"],
    [{ from: "yesterday" }, "from"],
    [{ from: "2031-06-01" }, "from"],
    [{ to: "2031-13-01T00:00:00Z" }, "to"],
    [{ to: "1717243200000" }, "to"],
    [{ keyId: "someone" }, "keyId"],
    [{ tenantId: "acme" }, "tenantId"],
    [{ route: "" }, "route"],
    [{ route: "x".repeat(201) }, "route"],
  ])("%j names %s", async (query, path) => {
    await invalid(query as Record<string, string>, path);
  });

  it("from must be before to (equal is not a range either)", async () => {
    const after = await invalid({ from: iso(T + HOUR_MS), to: iso(T) }, "from");
    expect(after.detail).toBe("from must be before to.");
    await invalid({ from: iso(T), to: iso(T) }, "from");
    // A from in the future with the default to (now).
    await invalid({ from: iso(Date.now() + DAY_MS) }, "from");
  });

  it.each([
    ["minute", 10 * DAY_MS, "A range of 10 days has too many minutes: use interval=hour (up to 90 days) or interval=day."],
    ["minute", 48 * HOUR_MS + 6 * 60_000, "A range of 48.1 hours has too many minutes: use interval=hour (up to 90 days) or interval=day."],
    ["minute", 100 * DAY_MS, "A range of 100 days has too many minutes: use interval=day."],
    ["hour", 91 * DAY_MS, "A range of 91 days has too many hours: use interval=day."],
    ["hour", 2000 * DAY_MS, "A range of 2000 days has too many hours: use interval=day."],
  ])("interval=%s over %d ms: 422 naming the interval that fits", async (interval, span, detail) => {
    const body = await invalid({ interval, from: iso(T - span), to: iso(T) }, "interval");
    expect(body.detail).toBe(detail);
  });

  it("the limits themselves are allowed: 48 hours of minutes, 90 days of hours, 3660 days of days", async () => {
    for (const [interval, span] of [
      ["minute", 48 * HOUR_MS],
      ["hour", 90 * DAY_MS],
      ["day", 3660 * DAY_MS],
    ] as const) {
      const res = await get({ interval, from: iso(T - span), to: iso(T) });
      expect(res.status, await res.clone().text()).toBe(200);
    }
  });

  it("longer than any interval: 422 saying how long a range may be", async () => {
    const body = await invalid({ interval: "day", from: iso(T - 4000 * DAY_MS), to: iso(T) }, "from");
    expect(body.detail).toBe("A range of 4000 days is too long: ask for 3660 days or less (interval=day), in several requests if need be.");
  });

  it("a from alone, too far back for the interval, is measured up to now", async () => {
    const body = await invalid({ interval: "minute", from: iso(Date.now() - 3 * DAY_MS) }, "interval");
    expect(body.detail).toMatch(/^A range of 3(\.\d)? days has too many minutes: use interval=hour \(up to 90 days\) or interval=day\.$/);
  });
});

describe("GET /v1/analytics: tenants", () => {
  it("a platform key naming a tenant that does not exist: 404, not an empty series", async () => {
    const body = await expectProblem(await get({ tenantId: "ten_AAAAAAAAAAAAAAAAAAAA" }, platform), 404, "not-found");
    expect(body.detail).toBe("No such tenant.");
  });

  it("a tenant admin naming another tenant, or one that does not exist: the same 404 as /v1/usage gives", async () => {
    for (const tenantId of [other, "ten_AAAAAAAAAAAAAAAAAAAA"]) {
      const body = await expectProblem(await get({ tenantId }), 404, "not-found");
      expect(body.detail).toBe("No such tenant.");
      const usage = await expectProblem(await call(`/v1/usage?tenantId=${tenantId}`, { key: admin }), 404, "not-found");
      expect(usage.detail).toBe(body.detail);
    }
  });

  it("a key without the admin scope: 403 insufficient_scope", async () => {
    const { admin: tenantAdmin } = await tenantWithAdmin(platform);
    const created = await call("/v1/keys", { key: tenantAdmin, body: { name: "reader", scopes: ["query"] } });
    const reader = (await created.json<any>()).key;
    const res = await get({}, reader);
    await expectProblem(res, 403, "insufficient-scope");
  });
});
