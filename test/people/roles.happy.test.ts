// What each role may change, and the scopes an operator's requests are served with.
import { describe, expect, it } from "vitest";
import { operatorScopes, roleRefusal } from "../../src/people/roles.ts";

describe("roles", () => {
  it("everyone reads; viewers change nothing; admins change no tenant or operator; owners change all", () => {
    for (const role of ["owner", "admin", "viewer"] as const) expect(roleRefusal(role, "GET", "/v1/operators")).toBeNull();
    expect(roleRefusal("viewer", "POST", "/v1/keys")).toMatch(/Viewers/);
    expect(roleRefusal("admin", "POST", "/v1/keys")).toBeNull();
    expect(roleRefusal("admin", "PATCH", "/v1/tenants/ten_1")).toMatch(/owner/);
    expect(roleRefusal("admin", "DELETE", "/v1/operators/opr_1")).toMatch(/owner/);
    expect(roleRefusal("admin", "POST", "/v1/tenantsx")).toBeNull();
    expect(roleRefusal("owner", "DELETE", "/v1/operators/opr_1")).toBeNull();
  });

  it("platform-wide operators get the platform scopes; a tenant's do not", () => {
    expect(operatorScopes({ role: "owner", tenantId: null })).toEqual(expect.arrayContaining(["platform", "admin", "jobs:write"]));
    expect(operatorScopes({ role: "viewer", tenantId: "ten_1" })).not.toContain("platform");
    expect(operatorScopes({ role: "viewer", tenantId: "ten_1" })).not.toContain("jobs:write");
  });
});
