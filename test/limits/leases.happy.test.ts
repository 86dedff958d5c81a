// Leases: a hot key needs far less than one object call per request, and the tokens a lease
// holds come back when it ends, so little is lost to under-admission. Counted, not assumed.
import { beforeAll, describe, expect, it } from "vitest";
import { platformKey, storeCounts, tenantWithAdmin } from "../support/gateway.ts";
import { call, keyWithLimit } from "../support/limits.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const PROBE = "/v1/permission-sets";

async function run(key: string, n: number) {
  let objectCalls = 0;
  let admitted = 0;
  const started = Date.now();
  for (let i = 0; i < n; i++) {
    const res = await call(PROBE, { key });
    objectCalls += storeCounts(res)["do-call"] ?? 0;
    if (res.status === 200) admitted++;
    await res.arrayBuffer();
  }
  return { objectCalls, admitted, elapsed: Date.now() - started };
}

describe("leases", () => {
  it("a hot key makes well under 0.1 object calls per request", async () => {
    const { tenant } = await tenantWithAdmin(platform);
    // Above any plan: only the platform key may set it.
    const k = await keyWithLimit(platform, { tenantId: tenant.id, rateLimit: { capacity: 5000, refillPerSecond: 2500 } });
    const { objectCalls, admitted } = await run(k.key, 600);
    expect(admitted).toBe(600);
    expect(objectCalls / 600).toBeLessThan(0.1);
  });

  it("a steady key's next lease is fetched in the background: after the first, no request waits for the object", async () => {
    const { tenant } = await tenantWithAdmin(platform);
    // Above any plan: only the platform key may set it.
    const k = await keyWithLimit(platform, { tenantId: tenant.id, rateLimit: { capacity: 5000, refillPerSecond: 2500 } });
    let waited = 0;
    let renewals = 0;
    let admitted = 0;
    const started = Date.now();
    // ~20 requests per second for 3 leases' time: each lease runs out of time, not tokens.
    while (Date.now() - started < 3_000) {
      const res = await call(PROBE, { key: k.key });
      if (res.status === 200) admitted++;
      waited += storeCounts(res)["do-call"] ?? 0;
      renewals += storeCounts(res)["bg-do-call"] ?? 0;
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(admitted).toBeGreaterThan(20);
    expect(renewals).toBeGreaterThanOrEqual(2);
    // The first request and, at most, one whose renewal was still on its way.
    expect(waited).toBeLessThanOrEqual(2);
  });

  it("under-admission on a small bucket stays small: admitted is close to the theoretical maximum", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await keyWithLimit(admin, { rateLimit: { capacity: 20, refillPerSecond: 10 } });
    let admitted = 0;
    let objectCalls = 0;
    let n = 0;
    const started = Date.now();
    while (Date.now() - started < 1500) {
      const res = await call(PROBE, { key: k.key });
      objectCalls += storeCounts(res)["do-call"] ?? 0;
      if (res.status === 200) admitted++;
      n++;
    }
    const elapsed = Date.now() - started;
    const ceiling = 20 + Math.floor((10 * elapsed) / 1000);
    expect(admitted).toBeLessThanOrEqual(ceiling);
    // Sequential traffic from one isolate: leases may strand at most a few tokens at a time.
    expect(admitted).toBeGreaterThanOrEqual(ceiling - 3);
    expect(objectCalls).toBeLessThan(n);
  });
});
