// What a person may see and do decides what the pages render: a viewer gets no write control at
// all, a tenant's person no other tenant. Rendered with a stand-in API, so each role is exact.
import { describe, expect, it } from "vitest";
import { ApiProblem, type Api } from "../../src/console/api.ts";
import { Layout } from "../../src/console/layout.tsx";
import type { PageFn } from "../../src/console/page.tsx";
import { alertsPage } from "../../src/console/pages/alerts.tsx";
import { keyPage } from "../../src/console/pages/key.tsx";
import { keysPage } from "../../src/console/pages/keys.tsx";
import { tenantPage } from "../../src/console/pages/tenant.tsx";
import { viewerOf, type Viewer } from "../../src/console/viewer.ts";

const NOW = Date.parse("2026-11-30T12:00:00Z");
const tenant = {
  id: "ten_0000000001",
  name: "Acme",
  slug: "acme",
  plan: "pro",
  active: true,
  email: null,
  description: null,
  overrides: { rateLimit: null, tenantRateLimit: null, monthlyQuota: null, maxKeys: null },
  effective: { rateLimit: { capacity: 200, refillPerSecond: 100, requests: 100, per: "second" }, tenantRateLimit: { capacity: 1000, refillPerSecond: 500, requests: 500, per: "second" }, monthlyQuota: 10_000_000, maxKeys: 50 },
  pricePer1kTokens: 0.002,
  priceSource: "plan",
  allowedIps: null,
  deniedIps: null,
  createdAt: "2026-11-01T00:00:00.000Z",
  updatedAt: "2026-11-01T00:00:00.000Z",
} as const;
const key = {
  id: "key_0000000001",
  tenantId: tenant.id,
  name: "billing",
  description: null,
  environment: "live",
  scopes: ["query"],
  start: "kg_live_abcd",
  hint: "wxyz",
  rateLimit: null,
  monthlyQuota: null,
  resources: null,
  allowedIps: null,
  deniedIps: null,
  expiresAt: null,
  enabled: true,
  revokedAt: null,
  revokedBy: null,
  revokeReason: null,
  deletedAt: null,
  deletedBy: null,
  createdAt: "2026-11-01T00:00:00.000Z",
  createdBy: null,
  updatedAt: "2026-11-01T00:00:00.000Z",
  lastUsedAt: null,
};
const empty = { data: [], nextCursor: null };
const series = { interval: "hour", from: "2026-11-29T12:00:00.000Z", to: "2026-11-30T12:00:00.000Z", groupBy: "outcome", data: [] };
const usage = { from: "2026-11-01", to: "2026-11-30", totals: { requests: 0, refused: 0, cost: 0, costUsd: 0 }, routes: [] };

/** The API as the page sees it: fixtures by path. */
const api: Api = async <T>(_method: string, path: string) => {
  const p = path.split("?")[0]!;
  if (p === `/v1/keys/${key.id}`) return key as T;
  if (p.endsWith("/usage")) return usage as T;
  if (p === "/v1/analytics") return series as T;
  if (p === `/v1/tenants/${tenant.id}`) return tenant as T;
  if (p.startsWith("/v1/tenants/")) return new ApiProblem(404, "Not found", "No such tenant.");
  return (p === "/v1/keys" ? { data: [key], nextCursor: null } : empty) as T;
};

const me = (operator: { role: "owner" | "admin" | "viewer"; tenantId: string | null }) => ({ key: null, tenant, operator: { email: "p@example.com", ...operator } });

async function render(fn: PageFn, viewer: Viewer, id = key.id): Promise<string> {
  const c = { req: { param: () => id } } as never;
  const r = await fn({ c, api, viewer, me: me({ role: "viewer", tenantId: tenant.id }), url: new URL("https://gw.test/console"), now: NOW });
  const node = Layout({ title: r.title, viewer, nav: r.nav, actions: r.actions, children: r.body });
  return String(await (node as unknown as { toString(): string | Promise<string> }).toString());
}

describe("a viewer", () => {
  const viewer = viewerOf(me({ role: "viewer", tenantId: null }), { csrf: "t" });

  it("is read-only", () => {
    expect(viewer.canWrite).toBe(false);
    expect(viewer.canManageTenants).toBe(false);
    expect(viewer.canManageOperators).toBe(false);
    expect(viewer.canCancelJobs).toBe(false);
  });

  it("gets no write control on any page: no API form or button, no dialogs", async () => {
    for (const [fn, id] of [
      [keyPage, key.id],
      [keysPage, ""],
      [tenantPage, tenant.id],
      [alertsPage, ""],
    ] as const) {
      const html = await render(fn, viewer, id);
      expect(html).not.toContain("data-api=");
      expect(html).not.toContain("<dialog");
      expect(html).not.toContain('data-testid="key-create-open"');
      expect(html).not.toContain('data-testid="key-revoke"');
      expect(html).not.toMatch(/kg_(live|test)_/);
    }
  });
});

describe("an admin", () => {
  it("of the platform gets the key's controls, but no tenant editing", async () => {
    const admin = viewerOf(me({ role: "admin", tenantId: null }), { csrf: "t" });
    expect(admin.canManageTenants).toBe(false);
    const html = await render(keyPage, admin);
    for (const id of ["key-roll", "key-disable", "key-revoke", "key-edit-form"]) expect(html).toContain(`data-testid="${id}"`);
    expect(await render(tenantPage, admin, tenant.id)).not.toContain('data-testid="tenant-edit-form"');
  });
});

describe("a tenant's person", () => {
  const own = viewerOf(me({ role: "owner", tenantId: tenant.id }), { csrf: "t" });

  it("sees its own tenant from /v1/auth/me and no other", async () => {
    expect(own.platform).toBe(false);
    expect(await render(tenantPage, own, tenant.id)).toContain("Acme");
    await expect(render(tenantPage, own, "ten_0000000002")).rejects.toMatchObject({ status: 404 });
  });

  it("gets no tenant filter or tenant column on the keys page", async () => {
    const html = await render(keysPage, own, "");
    expect(html).not.toContain('data-testid="key-filter-tenant"');
    expect(html).toContain(`data-testid="row-${key.id}"`);
    expect(html).toContain("…wxyz");
  });
});

describe("a key's session", () => {
  it("of an admin key is tenant-scoped; of a platform key sees every tenant", () => {
    const adminKey = viewerOf({ key: { ...key, scopes: ["admin"] }, tenant, operator: null } as never, { csrf: "t" });
    expect(adminKey).toMatchObject({ platform: false, canWrite: true, canManageTenants: false, canReadJobs: false, role: "admin key" });
    const platformKey = viewerOf({ key: { ...key, scopes: ["platform"] }, tenant, operator: null } as never, undefined);
    expect(platformKey).toMatchObject({ platform: true, canManageTenants: true, canSeeOperators: true, canManageOperators: true, canReadJobs: true, canCancelJobs: false, signOut: "access" });
  });
});
