// The hot path's cost, counted: every D1 and KV call the Worker makes is metered per request and
// reported in Server-Timing (EXPOSE_STORE_METRICS is on in tests).
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "../../src/keys/hash.ts";
import { memory } from "../../src/keys/lookup.ts";
import { call, platformKey, storeCounts, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

async function clearKV() {
  const { keys } = await env.KEY_CACHE.list();
  await Promise.all(keys.map((k) => env.KEY_CACHE.delete(k.name)));
}

// A route whose handler reads nothing, so the counts are the verification's own.
const PROBE = "/v1/permission-sets";

describe("verification cost per request", () => {
  it("a hot key costs zero D1 and zero KV calls per request", async () => {
    const { admin } = await tenantWithAdmin(platform);
    memory.keys.clear();
    memory.tenants.clear();
    await clearKV();

    const cold = await call(PROBE, { key: admin });
    expect(cold.status).toBe(200);
    const first = storeCounts(cold);
    expect(first["d1-read"]).toBe(2); // key (joined with its secret), then tenant
    expect(first["kv-read"]).toBe(2); // both missed in KV first

    let total = 0;
    for (let i = 0; i < 200; i++) {
      const res = await call(PROBE, { key: admin });
      expect(res.status).toBe(200);
      const c = storeCounts(res);
      total += c["d1-read"]! + c["d1-write"]! + c["kv-read"]! + c["kv-write"]!;
    }
    expect(total).toBe(0);
  });

  it("a copy past its TTL is served at once and refreshed in the background, once", async () => {
    const { admin } = await tenantWithAdmin(platform);
    expect((await call(PROBE, { key: admin })).status).toBe(200); // warm memory and KV
    await new Promise((r) => setTimeout(r, 20));
    const hash = await hashKey(admin);
    const copy = memory.keys.lookup(hash)!.value!;
    // Aged past its TTL, still within the stale period.
    memory.keys.set(hash, copy, 1_000, Date.now() - 5_000, 60_000);
    expect(memory.keys.lookup(hash)?.stale).toBe(true);

    const res = await call(PROBE, { key: admin });
    expect(res.status).toBe(200);
    // Nothing on the request's own path; the refresh is counted apart (bg-*).
    expect(storeCounts(res)).toMatchObject({ "kv-read": 0, "d1-read": 0, "bg-kv-read": 1 });
    await new Promise((r) => setTimeout(r, 20));
    expect(memory.keys.lookup(hash)?.stale).toBe(false);
    const after = await call(PROBE, { key: admin });
    expect(storeCounts(after)).toMatchObject({ "kv-read": 0, "d1-read": 0 });
    expect(storeCounts(after)["bg-kv-read"]).toBeUndefined();
  });

  it("a copy past its stale period is not served: the request reads again", async () => {
    const { admin } = await tenantWithAdmin(platform);
    expect((await call(PROBE, { key: admin })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 20));
    const hash = await hashKey(admin);
    const copy = memory.keys.lookup(hash)!.value!;
    memory.keys.set(hash, copy, 1_000, Date.now() - 120_000, 60_000);
    const res = await call(PROBE, { key: admin });
    expect(res.status).toBe(200);
    expect(storeCounts(res)).toMatchObject({ "kv-read": 1 });
  });

  it("a cold isolate with a warm KV reads KV, never D1", async () => {
    const { admin } = await tenantWithAdmin(platform);
    await call(PROBE, { key: admin }); // fills KV (after the response)
    await new Promise((r) => setTimeout(r, 20));
    memory.keys.clear();
    memory.tenants.clear();
    const res = await call(PROBE, { key: admin });
    expect(res.status).toBe(200);
    expect(storeCounts(res)).toMatchObject({ "d1-read": 0, "kv-read": 2 });
  });

  it("a repeated unknown key costs one lookup, then nothing", async () => {
    const { generateKey } = await import("../../src/keys/format.ts");
    const unknown = generateKey("live");
    const first = await call(PROBE, { key: unknown });
    expect(first.status).toBe(401);
    expect(storeCounts(first)).toMatchObject({ "d1-read": 1, "kv-read": 1, "kv-write": 0 });
    for (let i = 0; i < 50; i++) {
      const res = await call(PROBE, { key: unknown });
      expect(res.status).toBe(401);
      expect(storeCounts(res)).toMatchObject({ "d1-read": 0, "kv-read": 0, "d1-write": 0, "kv-write": 0 });
    }
  });

  it("a malformed key or a bad checksum costs no store call at all", async () => {
    for (const bad of ["kg_live_short", "not-a-key", "kg_live_" + "A".repeat(38)]) {
      const res = await call(PROBE, { key: bad });
      expect(res.status).toBe(401);
      expect(storeCounts(res)).toMatchObject({ "d1-read": 0, "kv-read": 0 });
    }
  });

  it("accepts the key in X-API-Key as well as in Authorization (one of them: both at once is refused)", async () => {
    const { admin } = await tenantWithAdmin(platform);
    expect((await call(PROBE, { headers: { "X-API-Key": admin } })).status).toBe(200);
    expect((await call(PROBE, { key: admin })).status).toBe(200);
    expect((await call(PROBE, { headers: { Authorization: `bearer ${admin}` } })).status).toBe(200);
  });
});
