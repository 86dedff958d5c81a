// Contact fields are stored text, printed later by the CLI and dashboards: no control or bidi
// characters (a terminal escape, a header injected into a mail), nothing key-shaped (a key pasted
// into the wrong field would be stored, audited and echoed). Only a platform key sets them.
import { beforeAll, describe, expect, it } from "vitest";
import { countRows, expectProblem, patch } from "../support/admin.ts";
import { call, createKey, createTenant, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
let aKey: string;
beforeAll(async () => {
  platform = await platformKey();
  aKey = (await createKey(platform, { scopes: ["query"] })).key;
});

const slug = () => `contact-${crypto.randomUUID().slice(0, 8)}`;

describe("tenant contact fields hold no keys and no control characters", () => {
  it("a key-shaped email or description is refused, and the problem does not echo it", async () => {
    const t = await createTenant(platform);
    for (const fields of [
      { email: `${aKey}@acme.example` },
      { email: `ops+${aKey.slice(0, 20)}@acme.example` },
      { description: `our key is ${aKey}` },
      { description: aKey.replace("kg_live_", "kg_test_") },
    ]) {
      for (const res of [
        await call("/v1/tenants", { key: platform, body: { name: "X", slug: slug(), ...fields } }),
        await patch(`/v1/tenants/${t.id}`, platform, fields),
      ]) {
        const problem = await expectProblem(res, 422, "validation-failed");
        expect(JSON.stringify(problem)).not.toMatch(/kg_(live|test)_[0-9A-Za-z]{8}/);
      }
    }
    expect(await countRows("SELECT count(*) AS n FROM tenants WHERE email LIKE '%kg\\_%' ESCAPE '\\' OR description LIKE '%kg\\_%' ESCAPE '\\'")).toBe(0);
  });

  it("control and bidi characters are refused: terminal escapes, header injection, a reversed name", async () => {
    const t = await createTenant(platform);
    for (const fields of [
      { email: "ops@acme.example\r\nBcc: all@evil.example" },
      { email: "ops@acme.example\u0000" },
      { email: "\u202eelpmaxe.emca@spo" },
      { description: "\u001b[2J\u001b[31mcleared" },
      { description: "line\u0085break" },
      { description: "admin\u2066 \u2069" },
      { description: "two\nlines" },
    ]) {
      await expectProblem(await call("/v1/tenants", { key: platform, body: { name: "X", slug: slug(), ...fields } }), 422, "validation-failed");
      await expectProblem(await patch(`/v1/tenants/${t.id}`, platform, fields), 422, "validation-failed");
    }
    expect(await countRows("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'tenant.update'", t.id)).toBe(0);
  });

  it("a tenant's own admin cannot set its contact (platform scope only)", async () => {
    const { tenant, admin } = await tenantWithAdmin(platform);
    await expectProblem(await patch(`/v1/tenants/${tenant.id}`, admin, { email: "attacker@evil.example" }), 403, "insufficient-scope");
    await expectProblem(await call("/v1/tenants", { key: admin, body: { name: "X", slug: slug(), email: "a@b.example" } }), 403, "insufficient-scope");
  });
});
