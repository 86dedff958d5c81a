// Zero over-admission: whatever the concurrency, admitted ≤ capacity + refill × elapsed. These
// tests fire hundreds of requests at once at small buckets, at several keys together, and count.
import { env, evictDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "../../src/keys/hash.ts";
import { platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { burst, call, json, keyWithLimit, limiterStub } from "../support/limits.ts";
import { MAX_LEASE_FRACTION } from "../../src/limits/lease-policy.ts";
import { authStateOf } from "../../src/limits/leases.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const bound = (capacity: number, perSecond: number, ms: number) => capacity + Math.floor((perSecond * ms) / 1000);

describe("exact limits through the Worker", () => {
  it("300 concurrent requests at a bucket of 10 admit at most 10 + refill × elapsed", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await keyWithLimit(admin, { rateLimit: { capacity: 10, refillPerSecond: 1 } });
    const started = Date.now();
    const { counts, responses } = await burst(k.key, 300);
    const elapsed = Date.now() - started;
    expect(counts[200]! + counts[429]!).toBe(300);
    expect(counts[200]).toBeLessThanOrEqual(bound(10, 1, elapsed));
    // Under-admission: a lease that arrives after the last request was refused strands its
    // leftover, at most a MAX_LEASE_FRACTION share of the bucket.
    expect(counts[200]).toBeGreaterThanOrEqual(10 - Math.ceil(10 * MAX_LEASE_FRACTION));
    const refused = responses.find((r) => r.status === 429)!;
    const body = await json(refused);
    expect(body.type).toBe("https://iana.org/assignments/http-problem-types#quota-exceeded");
    expect(body["violated-policies"]).toEqual(["burst"]);
    expect(refused.headers.get("cache-control")).toBe("no-store");
    const retryAfter = Number(refused.headers.get("retry-after"));
    const t = Number(/"burst";r=\d+;t=(\d+)/.exec(refused.headers.get("ratelimit")!)![1]);
    expect(retryAfter).toBeGreaterThanOrEqual(t);
    expect(t).toBeGreaterThanOrEqual(1);
  });

  it("three keys at once: each held to its own bucket, none borrowing from another", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const caps = [3, 7, 15];
    const keys = await Promise.all(caps.map((capacity) => keyWithLimit(admin, { rateLimit: { capacity, refillPerSecond: 0.5 } })));
    const started = Date.now();
    const results = await Promise.all(keys.map((k) => burst(k.key, 150)));
    const elapsed = Date.now() - started;
    results.forEach(({ counts }, i) => {
      expect(counts[200], `key ${i}`).toBeLessThanOrEqual(bound(caps[i]!, 0.5, elapsed));
      // Under-admission is a cost, not a correctness bound; on a loaded machine leases strand more.
      expect(counts[200], `key ${i}`).toBeGreaterThanOrEqual(Math.ceil(caps[i]! / 2));
    });
  });

  it("a cost larger than what is left is refused whole, never half-served", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await keyWithLimit(admin, { rateLimit: { capacity: 5, refillPerSecond: 0.01 } });
    const ask = await asker(k);
    for (let i = 0; i < 3; i++) expect(await ask(1, 1)).toMatchObject({ ok: true, granted: 1 });
    const refused = await ask(3, 3);
    expect(refused).toMatchObject({ ok: false, reason: "burst" });
    expect((refused as { tokens: number }).tokens).toBeCloseTo(2, 1);
    expect(await ask(2, 2)).toMatchObject({ ok: true, granted: 2 }); // nothing was taken by the refusal
  });
});

describe("exact limits at the key's object, from many callers at once", () => {
  it("500 concurrent lease requests of mixed sizes never grant more than capacity + refill × elapsed", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await keyWithLimit(admin, { rateLimit: { capacity: 50, refillPerSecond: 20 } });
    const ask = await asker(k);
    const started = Date.now();
    // Each call stands for a different isolate asking for a lease of 1 to 8 tokens.
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => ask(1, 1 + (i % 8))));
    const elapsed = Date.now() - started;
    const granted = results.reduce((n, r) => n + (r.ok ? r.granted : 0), 0);
    expect(granted).toBeLessThanOrEqual(bound(50, 20, elapsed));
    expect(granted).toBeGreaterThanOrEqual(50);
    expect(results.some((r) => !r.ok)).toBe(true);
  });

  it("tokens still held by leases are not refilled behind their back (no burst above capacity)", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await keyWithLimit(admin, { rateLimit: { capacity: 40, refillPerSecond: 40 } });
    const ask = await asker(k);
    const first = await ask(1, 10); // a quarter of 40: 1 spent now, 9 held by the lease
    expect(first).toMatchObject({ ok: true, granted: 10 });
    await new Promise((r) => setTimeout(r, 400)); // the bucket would be full again by now
    const t1 = Date.now();
    let drained = 0;
    for (;;) {
      const r = await ask(1, 1);
      if (!r.ok) break;
      drained += r.granted;
    }
    const window = Date.now() - t1;
    // Everything spendable from t1 on: what the lease still holds, plus what the bucket gave.
    expect(9 + drained).toBeLessThanOrEqual(bound(40, 40, window));
  });

  it("an evicted object reloads its bucket instead of starting full", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await keyWithLimit(admin, { rateLimit: { capacity: 4, refillPerSecond: 0.01 } });
    const ask = await asker(k);
    for (let i = 0; i < 4; i++) expect(await ask(1, 1)).toMatchObject({ ok: true, granted: 1 });
    await evictDurableObject(limiterStub(k.id));
    expect(await ask(1, 1)).toMatchObject({ ok: false, reason: "burst" });
  });
});

/** Calls the key's object the way an isolate does, with the key's real secret hash. */
async function asker(k: { id: string; key: string; tenantId: string; scopes: string[] }) {
  const stub = limiterStub(k.id);
  const hash = await hashKey(k.key);
  const row = await env.DB.prepare("SELECT updated_at, rate_limit_capacity AS c, rate_limit_refill_per_second AS r FROM api_keys WHERE id = ?")
    .bind(k.id)
    .first<{ updated_at: number; c: number; r: number }>();
  const limit = { capacity: row!.c, refillPerSecond: row!.r };
  const state = authStateOf({
    version: row!.updated_at,
    hash,
    keyId: k.id,
    tenantId: k.tenantId,
    environment: "live",
    scopes: k.scopes,
    enabled: true,
    revokedAt: null,
    expiresAt: null,
    secretExpiresAt: null,
    rateLimit: limit,
    monthlyQuota: null,
  });
  return (cost: number, want: number) =>
    stub.acquire({ keyId: k.id, tenantId: k.tenantId, hash, state, limit, keyQuota: null, tenantQuota: null,
      tenantLimit: null, scope: null, cost, want, returned: null, usage: null });
}
