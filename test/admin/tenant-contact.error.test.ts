// Invalid contact fields are 422 with the field's path, and write nothing.
import { beforeAll, describe, expect, it } from "vitest";
import { countRows, expectProblem, patch } from "../support/admin.ts";
import { call, createTenant, json, platformKey } from "../support/gateway.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const slug = () => `contact-${crypto.randomUUID().slice(0, 8)}`;

const BAD: [string, Record<string, unknown>, string][] = [
  ["an email without @", { email: "ops.acme.example" }, "email"],
  ["an email without a domain", { email: "ops@" }, "email"],
  ["an email with a space inside", { email: "o ps@acme.example" }, "email"],
  ["an email over 254 characters", { email: `${"a".repeat(250)}@acme.example` }, "email"],
  ["an empty email", { email: "" }, "email"],
  ["an email that is not a string", { email: 42 }, "email"],
  ["a description over 500 characters", { description: "x".repeat(501) }, "description"],
  ["a description that is not a string", { description: ["x"] }, "description"],
];

describe("tenant contact fields: 422 validation-failed", () => {
  it.each(BAD)("POST /v1/tenants with %s", async (_label, fields, path) => {
    const before = await countRows("SELECT count(*) AS n FROM tenants");
    const problem = await expectProblem(await call("/v1/tenants", { key: platform, body: { name: "X", slug: slug(), ...fields } }), 422, "validation-failed");
    expect(problem.errors.map((e: any) => e.path)).toContain(path);
    expect(await countRows("SELECT count(*) AS n FROM tenants")).toBe(before);
  });

  it.each(BAD)("PATCH /v1/tenants/{id} with %s", async (_label, fields, path) => {
    const t = await createTenant(platform, { email: "ops@acme.example", description: "kept" });
    const problem = await expectProblem(await patch(`/v1/tenants/${t.id}`, platform, fields), 422, "validation-failed");
    expect(problem.errors.map((e: any) => e.path)).toContain(path);
    expect(await json(await call(`/v1/tenants/${t.id}`, { key: platform }))).toEqual(t);
    expect(await countRows("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'tenant.update'", t.id)).toBe(0);
  });

  it("null is how update clears a field; creation takes no null", async () => {
    await expectProblem(await call("/v1/tenants", { key: platform, body: { name: "X", slug: slug(), email: null } }), 422, "validation-failed");
    await expectProblem(await call("/v1/tenants", { key: platform, body: { name: "X", slug: slug(), description: null } }), 422, "validation-failed");
  });
});
