// What an attacker tries around deletion: deleting across tenants, taking out a key it may not
// manage, a rolled-away secret deleting its own key, a stale cache elsewhere, racing a roll, and
// finding a deleted secret's hash anywhere afterwards.
import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "../../src/keys/hash.ts";
import { memory } from "../../src/keys/lookup.ts";
import type { KeySnapshot } from "../../src/keys/snapshot.ts";
import { resetLeases } from "../../src/limits/leases.ts";
import { auditRowsFor, countRows, dumpD1, expectProblem, waitFor } from "../support/admin.ts";
import { faultyD1, send, withEnv, settleBackground } from "../support/faults.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

afterAll(settleBackground);

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const del = (id: string, key: string) => call(`/v1/keys/${id}`, { method: "DELETE", key });

describe("who may delete", () => {
  it("another tenant's admin gets the same 404 as for a key that does not exist, and changes nothing", async () => {
    const a = await tenantWithAdmin(platform);
    const b = await tenantWithAdmin(platform);
    const victim = await createKey(b.admin, { scopes: ["query"] });
    const before = await countRows("SELECT count(*) AS n FROM audit_log");
    const problem = await expectProblem(await del(victim.id, a.admin), 404, "not-found");
    expect(problem.detail).toBe("No such key.");
    expect(await countRows("SELECT count(*) AS n FROM audit_log")).toBe(before);
    expect(await countRows("SELECT count(*) AS n FROM key_secrets WHERE key_id = ?", victim.id)).toBe(1);
    expect((await call("/v1/auth/me", { key: victim.key })).status).toBe(200);
  });

  it("an admin of the operator's tenant cannot delete the operator's reporter key (a platform power)", async () => {
    const operatorAdmin = (await createKey(platform, { name: `op-admin-${crypto.randomUUID()}`, permissionSet: "full_access" })).key;
    const reporter = await createKey(platform, { name: `reporter-${crypto.randomUUID()}`, scopes: ["jobs:report"] });
    await expectProblem(await del(reporter.id, operatorAdmin), 403, "insufficient-scope");
    expect((await call("/v1/auth/me", { key: reporter.key })).status).toBe(200);
    expect((await del(reporter.id, platform)).status).toBe(200);
  });

  it("a secret rolled away cannot delete its own key (and lock the new holder out)", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { permissionSet: "full_access" });
    const rolled = await json(await call(`/v1/keys/${k.id}/roll`, { key: k.key, body: { gracePeriodSeconds: 3600 } }));
    const problem = await expectProblem(await del(k.id, k.key), 403, "rolled-secret");
    expect(JSON.stringify(problem)).not.toContain(rolled.key);
    expect((await call("/v1/auth/me", { key: rolled.key })).status).toBe(200);
  });
});

describe("a deleted key works nowhere, and leaves no hash behind", () => {
  it("an isolate with a stale copy is refused by the key's object", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { permissionSet: "read_only" });
    const hash = await hashKey(k.key);
    for (let i = 0; i < 5; i++) expect((await call("/v1/auth/me", { key: k.key })).status).toBe(200);
    const stale = structuredClone(memory.keys.get(hash)!) as KeySnapshot;
    expect((await del(k.id, admin)).status).toBe(200);

    resetLeases();
    memory.keys.set(hash, stale, 60_000);
    const elsewhere = await call("/v1/auth/me", { key: k.key });
    expect(elsewhere.status).toBe(401);
    expect((await json(elsewhere)).type).toBe("https://keygate.dev/problems/revoked-key");
  });

  it("once the caches forget it, the secret is unknown: D1, the audit trail and the answer hold no trace of it", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { permissionSet: "read_only" });
    const hash = await hashKey(k.key);
    expect((await call("/v1/auth/me", { key: k.key })).status).toBe(200);
    const res = await del(k.id, admin);
    const text = await res.text();
    for (const secret of [k.key, hash]) expect(text).not.toContain(secret);

    const d1 = await dumpD1();
    expect(d1).not.toContain(hash);
    expect(d1).not.toContain(k.key);
    expect(JSON.stringify(await auditRowsFor(k.id))).not.toContain(hash);

    // Another isolate, long after: nothing cached, the key's object never asked (no lease).
    memory.keys.delete(hash);
    await env.KEY_CACHE.delete(`key:${hash}`);
    resetLeases();
    const later = await call("/v1/auth/me", { key: k.key });
    expect(later.status).toBe(401);
    expect((await json(later)).type).toBe("https://keygate.dev/problems/unknown-key");
  });

  it("racing deletes delete once, with one audit row", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    const deletes = await Promise.all([del(k.id, admin), del(k.id, admin), del(k.id, admin)]);
    expect(deletes.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of deletes.filter((r) => r.status !== 200)) await expectProblem(r, 409, "key-revoked");
    expect(await countRows("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'key.delete'", k.id)).toBe(1);
  });

  it("a roll whose batch lands just after a delete gives the tombstone no secret (409)", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    // The roll reads a live key, then its batch is held back while the delete lands.
    const { db, calls } = faultyD1((c) => (c.kind === "batch" ? { delayMs: 300 } : "ok"));
    const rolling = send(withEnv({ DB: db }), `/v1/keys/${k.id}/roll`, { key: admin, body: { gracePeriodSeconds: 60 } });
    await waitFor(async () => calls.some((c) => c.kind === "batch"), "the roll's batch");
    expect((await del(k.id, admin)).status).toBe(200);
    const problem = await expectProblem(await rolling, 409, "key-revoked");
    expect(problem.detail).toMatch(/deleted/);
    expect(JSON.stringify(problem)).not.toMatch(/kg_(live|test)_/);
    expect(await countRows("SELECT count(*) AS n FROM key_secrets WHERE key_id = ?", k.id)).toBe(0);
    expect(await countRows("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'key.roll'", k.id)).toBe(0);
  });
});
