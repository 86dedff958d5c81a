// Revocation that does not wait for caches: the change is pushed to the key's object at once; the
// isolate that made it refuses at once, any other isolate within one lease lifetime.
import { beforeAll, describe, expect, it } from "vitest";
import { memory } from "../../src/keys/lookup.ts";
import type { KeySnapshot } from "../../src/keys/snapshot.ts";
import { resetLeases } from "../../src/limits/leases.ts";
import { hashKey } from "../../src/keys/hash.ts";
import { createKey, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { call, json } from "../support/limits.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const PROBE = "/v1/auth/me";

/** Make this isolate look like another one that still holds yesterday's copy of the key. */
function restoreStaleCopy(hash: string, stale: KeySnapshot) {
  resetLeases();
  memory.keys.set(hash, stale, 60_000);
}

describe("changes reach the key's object at once", () => {
  for (const [what, change, expected] of [
    ["revoke", (id: string, admin: string) => call(`/v1/keys/${id}/revoke`, { key: admin, body: { reason: "test" } }), "revoked-key"],
    ["disable", (id: string, admin: string) => call(`/v1/keys/${id}`, { method: "PATCH", key: admin, body: { enabled: false } }), "disabled-key"],
    ["roll with no grace", (id: string, admin: string) => call(`/v1/keys/${id}/roll`, { key: admin, body: { gracePeriodSeconds: 0 } }), "expired-key"],
  ] as const) {
    it(`${what}: refused at once here, and by an isolate with a stale cache on its next trip to the object`, async () => {
      const { admin } = await tenantWithAdmin(platform);
      const k = await createKey(admin, { permissionSet: "read_only" });
      const hash = await hashKey(k.key);
      for (let i = 0; i < 5; i++) expect((await call(PROBE, { key: k.key })).status).toBe(200); // warm: memory, KV, lease
      const stale = structuredClone(memory.keys.get(hash)!) as KeySnapshot;

      expect((await change(k.id, admin)).status).toBe(200);
      const here = await call(PROBE, { key: k.key });
      expect(here.status).toBe(401);
      expect((await json(here)).type).toBe(`https://keygate.dev/problems/${expected}`);

      restoreStaleCopy(hash, stale);
      const elsewhere = await call(PROBE, { key: k.key });
      expect(elsewhere.status).toBe(401);
      expect((await json(elsewhere)).type).toBe(`https://keygate.dev/problems/${expected}`);
    });
  }

  it("a revocation sticks in the object even against a newer-looking state (clock skew)", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { permissionSet: "read_only" });
    const hash = await hashKey(k.key);
    expect((await call(PROBE, { key: k.key })).status).toBe(200);
    const stale = structuredClone(memory.keys.get(hash)!) as KeySnapshot;
    await call(`/v1/keys/${k.id}/revoke`, { key: admin, body: {} });
    // Another isolate whose clock ran ahead: its cached copy claims a later version, not revoked.
    restoreStaleCopy(hash, { ...stale, version: Date.now() + 3_600_000 });
    expect((await call(PROBE, { key: k.key })).status).toBe(401);
  });

  it("a scope removed is enforced by the object even when the cache still grants it", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["admin", "query"] });
    const hash = await hashKey(k.key);
    expect((await call("/v1/permission-sets", { key: k.key })).status).toBe(200);
    const stale = structuredClone(memory.keys.get(hash)!) as KeySnapshot;
    await call(`/v1/keys/${k.id}`, { method: "PATCH", key: admin, body: { scopes: ["query"] } });
    restoreStaleCopy(hash, stale);
    const res = await call("/v1/permission-sets", { key: k.key });
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toContain('scope="admin"');
  });
});
