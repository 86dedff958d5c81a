// GET /v1/usage?tenantId= naming a tenant that does not exist: 404, not a page of zeros that reads
// like "no traffic". A tenant's own key naming another tenant was already a 404 (tenant-scope).
import { beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../support/admin.ts";
import { call, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
let tenantId: string;
let admin: string;
beforeAll(async () => {
  platform = await platformKey();
  ({ admin, tenant: { id: tenantId } } = await tenantWithAdmin(platform));
});

describe("GET /v1/usage?tenantId=", () => {
  it("a platform key naming an unknown tenant: 404 No such tenant", async () => {
    const body = await expectProblem(await call("/v1/usage?tenantId=ten_AAAAAAAAAAAAAAAAAAAA", { key: platform }), 404, "not-found");
    expect(body.detail).toBe("No such tenant.");
  });

  it("a tenant's own key naming an unknown tenant: the same 404 (ids cannot be probed)", async () => {
    const body = await expectProblem(await call("/v1/usage?tenantId=ten_AAAAAAAAAAAAAAAAAAAA", { key: admin }), 404, "not-found");
    expect(body.detail).toBe("No such tenant.");
  });

  it("a tenant that exists, even with no traffic yet, is 200 with zeros", async () => {
    const res = await call(`/v1/usage?tenantId=${tenantId}`, { key: platform });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ tenantId, totals: { requests: expect.any(Number) } });
    const own = await call(`/v1/usage?tenantId=${tenantId}`, { key: admin });
    expect(own.status).toBe(200);
  });

  it("a malformed tenantId stays a 422 naming the field", async () => {
    const body = await expectProblem(await call("/v1/usage?tenantId=nope", { key: platform }), 422, "validation-failed");
    expect(body.errors.map((e: any) => e.path)).toContain("tenantId");
  });
});
