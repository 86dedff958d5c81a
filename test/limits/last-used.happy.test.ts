// A key's lastUsedAt says when it last did something: a key only ever refused (used after it was
// revoked, say) was never used, and its lastUsedAt stays null rather than becoming 1970.
import { describe, expect, it } from "vitest";
import { expectProblem } from "../support/admin.ts";
import { flushAnalytics } from "../support/analytics-flush.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

describe("lastUsedAt", () => {
  it("stays null for a key whose only requests were refused", async () => {
    const platform = await platformKey();
    const { tenant } = await tenantWithAdmin(platform);
    const made = await createKey(platform, { tenantId: tenant.id, permissionSet: "read_only" });
    expect((await call(`/v1/keys/${made.id}/revoke`, { key: platform, body: { reason: "never used" } })).status).toBe(200);
    await expectProblem(await call("/v1/auth/me", { key: made.key }), 401, "revoked-key");
    await flushAnalytics([{ id: made.id, tenantId: tenant.id }]);
    const key = await json(await call(`/v1/keys/${made.id}`, { key: platform }));
    expect(key.lastUsedAt).toBeNull();
  });
});
