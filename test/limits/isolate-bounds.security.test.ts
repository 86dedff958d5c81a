// A flood of distinct keys cannot grow an isolate's memory without limit: every per-key map of the
// limits layer stays within MAX_KEYS_PER_ISOLATE, whatever arrives. The flood goes through the
// real admission path and a real key object (one object for all the keys: the maps are keyed by
// key id, the object only has to answer).
import { env } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_KEYS_PER_ISOLATE } from "../../src/limits/isolate-bounds.ts";
import { admitRequest, isolateState, resetLeases } from "../../src/limits/leases.ts";
import { recordUsage, takeUsage } from "../../src/limits/usage-buffer.ts";
import type { KeySnapshot, TenantSnapshot } from "../../src/keys/snapshot.ts";

const FLOOD = MAX_KEYS_PER_ISOLATE + 500;
const tenant: TenantSnapshot = { id: "ten_flood0000000", active: true, operator: false, plan: "free", rateLimit: { capacity: 1, refillPerSecond: 0.001 }, monthlyQuota: null };
const keyOf = (i: number): KeySnapshot => ({
  version: 1,
  hash: "f".repeat(64),
  keyId: `key_flood${String(i).padStart(8, "0")}`,
  tenantId: tenant.id,
  environment: "live",
  scopes: ["query"],
  enabled: true,
  revokedAt: null,
  expiresAt: null,
  secretExpiresAt: null,
  rateLimit: null,
  monthlyQuota: null,
});

afterAll(() => {
  resetLeases();
  for (let i = 0; i < FLOOD; i++) takeUsage(keyOf(i).keyId);
});

describe("per-key state of one isolate", () => {
  it("stays within its bound when more distinct keys arrive than it may hold", async () => {
    resetLeases();
    const object = env.KEY_LIMITER.get(env.KEY_LIMITER.idFromName("isolate-bounds-flood"));
    const access = { limiter: () => object, backgroundLimiter: () => object, defer: () => undefined };
    const answers = new Map<string, number>();
    // In waves of distinct keys at once, as a flood would arrive.
    for (let wave = 0; wave < FLOOD; wave += 250) {
      await Promise.all(
        Array.from({ length: Math.min(250, FLOOD - wave) }, async (_, j) => {
          const key = keyOf(wave + j);
          // The one-token bucket admits the first and refuses (and remembers refusing) the rest.
          const decision = await admitRequest(access, key, tenant, "query", 1);
          const reason = decision.ok ? "ok" : decision.reason;
          answers.set(reason, (answers.get(reason) ?? 0) + 1);
          const status = decision.ok ? 200 : 429;
          recordUsage(key.keyId, { at: Date.now(), route: "POST /v1/query", outcome: decision.ok ? "valid" : "rate_limited", status, latencyMs: 1, cost: decision.ok ? 1 : 0 });
        }),
      );
    }
    expect(answers.get("burst")).toBeGreaterThan(MAX_KEYS_PER_ISOLATE);
    const state = isolateState();
    for (const [map, size] of Object.entries(state)) expect(size, map).toBeLessThanOrEqual(MAX_KEYS_PER_ISOLATE);
    expect(state.refusals).toBe(MAX_KEYS_PER_ISOLATE);
    expect(state.traffic).toBe(MAX_KEYS_PER_ISOLATE);
    expect(state.pendingUsage).toBe(MAX_KEYS_PER_ISOLATE);
  }, 120_000);
});
