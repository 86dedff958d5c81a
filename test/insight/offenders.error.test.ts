// GET /v1/analytics/offenders is the platform's: failures before a key is known belong to no
// tenant, so a tenant admin gets 403 whatever it asks. And a query it cannot answer is a 422.
import { beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../support/admin.ts";
import { call, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
let admin: string;
beforeAll(async () => {
  platform = await platformKey();
  ({ admin } = await tenantWithAdmin(platform));
});

const get = (query: string, key: string) => call(`/v1/analytics/offenders${query}`, { key });

describe("GET /v1/analytics/offenders", () => {
  it("a tenant admin: 403 insufficient_scope naming platform, with or without a query", async () => {
    for (const query of ["", "?limit=5", "?tenantId=ten_AAAAAAAAAAAAAAAAAAAA"]) {
      const res = await get(query, admin);
      const body = await expectProblem(res, 403, "insufficient-scope");
      expect(body.detail).toContain("'platform'");
      expect(res.headers.get("www-authenticate")).toContain('scope="platform"');
    }
  });

  it.each([
    ["?limit=0", "limit"],
    ["?limit=101", "limit"],
    ["?limit=ten", "limit"],
    ["?from=yesterday", "from"],
    ["?to=2031-02-30T00:00:00Z", "to"],
    ["?from=2031-06-02T00:00:00Z&to=2031-06-01T00:00:00Z", "from"],
    ["?from=2031-06-01T00:00:00Z&to=2031-06-01T00:00:00Z", "from"],
  ])("%s: 422 naming %s", async (query, path) => {
    const body = await expectProblem(await get(query, platform), 422, "validation-failed");
    expect(body.errors.map((e: any) => e.path)).toContain(path);
  });
});
