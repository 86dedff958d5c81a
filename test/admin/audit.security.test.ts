import { beforeAll, describe, expect, it } from "vitest";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { expectProblem, patch } from "../support/admin.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

async function allRows(key: string, query = ""): Promise<any[]> {
  const rows: any[] = [];
  let cursor: string | null = null;
  do {
    const res = await call(`/v1/audit?limit=100${query}${cursor ? `&cursor=${cursor}` : ""}`, { key });
    expect(res.status).toBe(200);
    const page: any = await json(res);
    rows.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return rows;
}

describe("audit: tenant isolation", () => {
  it("a tenant admin sees only its own tenant's trail, both directions", async () => {
    const a = await tenantWithAdmin(platform);
    const b = await tenantWithAdmin(platform);
    const ka = await createKey(a.admin, { scopes: ["query"] });
    const kb = await createKey(b.admin, { scopes: ["query"] });
    await patch(`/v1/keys/${kb.id}`, b.admin, { description: "b's business" });

    for (const [self, other, mine, theirs] of [
      [a, b, ka, kb],
      [b, a, kb, ka],
    ] as const) {
      const rows = await allRows(self.admin);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.tenantId === self.tenant.id)).toBe(true);
      expect(rows.map((r) => r.targetId)).toContain(mine.id);
      expect(rows.map((r) => r.targetId)).not.toContain(theirs.id);
      expect(rows.map((r) => r.targetId)).not.toContain(other.tenant.id);
      // Filters cannot reach across either.
      expect(await allRows(self.admin, `&targetId=${theirs.id}`)).toEqual([]);
      expect(await allRows(self.admin, `&targetId=${other.tenant.id}`)).toEqual([]);
      await expectProblem(await call(`/v1/audit?tenantId=${other.tenant.id}`, { key: self.admin }), 404, "not-found");
    }
  });

  it("the platform's own trail (tenant.create of others, bootstrap) stays out of a tenant's view", async () => {
    const a = await tenantWithAdmin(platform);
    const rows = await allRows(a.admin);
    expect(rows.some((r) => r.action === "key.bootstrap")).toBe(false);
    // It does see the platform's actions on it: its own creation and its admin key's creation.
    expect(rows.map((r) => r.action).sort()).toEqual(["key.create", "tenant.create"]);
  });

  it("needs the admin scope", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const reader = await createKey(admin, { permissionSet: "read_only" });
    const res = await call("/v1/audit", { key: reader.key });
    expect(res.headers.get("www-authenticate")).toContain('scope="admin"');
    await expectProblem(res, 403, "insufficient-scope");
    await expectProblem(await call("/v1/audit"), 401, "missing-credential");
  });
});
