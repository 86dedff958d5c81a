// Every 429 states the true wait. The isolate repeats a refusal it remembers for at most a
// second without asking the key's object again; the wait it states must still be the object's,
// however long: a slow bucket's 1000 s, a month quota's time to the month's end.
import { beforeAll, describe, expect, it } from "vitest";
import { secondsToMonthEnd } from "../../src/limits/month.ts";
import { platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { burst, call, json, keyWithLimit, rateLimitFields } from "../support/limits.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const PROBE = "/v1/permission-sets";

function waits(res: Response) {
  const { state } = rateLimitFields(res);
  return { retryAfter: Number(res.headers.get("retry-after")), burstT: Number(state.burst?.t), monthT: Number(state.month?.t) };
}

describe("Retry-After and RateLimit t on refusals", () => {
  it("a slow bucket (one token per 1000 s): the first refusal and every repeated one say about 1000 s", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await keyWithLimit(admin, { rateLimit: { capacity: 1, refillPerSecond: 0.001 } });
    expect((await call(PROBE, { key: k.key })).status).toBe(200);
    const first = await call(PROBE, { key: k.key });
    expect(first.status).toBe(429);
    expect(waits(first).retryAfter).toBeGreaterThanOrEqual(990);
    expect(waits(first).burstT).toBe(waits(first).retryAfter);
    const { responses } = await burst(k.key, 100, PROBE);
    for (const r of responses) {
      expect(r.status).toBe(429);
      const w = waits(r);
      expect(w.retryAfter, "a repeated refusal understated the wait").toBeGreaterThanOrEqual(990);
      expect(w.burstT).toBe(w.retryAfter);
      expect((await json(r)).detail).toMatch(/Retry after (99\d|1000) s/);
    }
  });

  it("a month quota: the first refusal and every repeated one say the time to the month's end", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await keyWithLimit(admin, { monthlyQuota: 1 });
    expect((await call(PROBE, { key: k.key })).status).toBe(200);
    const expected = secondsToMonthEnd(Date.now());
    const first = await call(PROBE, { key: k.key });
    expect(first.status).toBe(429);
    const { responses } = await burst(k.key, 100, PROBE);
    for (const r of [first, ...responses]) {
      expect(r.status).toBe(429);
      const w = waits(r);
      expect(Math.abs(w.retryAfter - expected), "Retry-After is not the month's end").toBeLessThanOrEqual(5);
      expect(Math.abs(w.monthT - expected)).toBeLessThanOrEqual(5);
      expect((await json(r)).detail).toContain(`It resets in ${w.retryAfter} s`);
    }
  });
});
