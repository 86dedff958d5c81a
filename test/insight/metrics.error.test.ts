// What a scraper can get wrong against /v1/metrics, and what it sees when D1 fails: always a
// problem+json it can act on, never a 500 and never a partial exposition that reads as zeros.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../support/admin.ts";
import { faultyD1, send, settleBackground, withEnv } from "../support/faults.ts";
import { call, platformKey } from "../support/gateway.ts";
import { scrape } from "../support/metrics.ts";

afterAll(settleBackground);

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

describe("GET /v1/metrics, wrongly", () => {
  it("no key: 401 with a bare Bearer challenge (scrape configs without a bearer token)", async () => {
    const res = await call("/v1/metrics");
    await expectProblem(res, 401, "missing-credential");
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="keygate"');
  });

  it("a made-up key: 401 malformed-key (its checksum fails before any lookup)", async () => {
    await expectProblem(await call("/v1/metrics", { key: "kg_live_" + "A".repeat(38) }), 401, "malformed-key");
  });

  it("a method other than GET: 405 with Allow", async () => {
    const res = await call("/v1/metrics", { key: platform, method: "POST", body: {} });
    await expectProblem(res, 405, "method-not-allowed");
    expect(res.headers.get("allow")).toContain("GET");
  });

  it("a query string (Prometheus adds none, but params may) is ignored", async () => {
    const res = await call("/v1/metrics?name[]=keygate_jobs", { key: platform });
    expect(res.status).toBe(200);
  });

  it("D1 failing the read: 503 store-unavailable with Retry-After, not a 500 or an empty exposition", async () => {
    await scrape(platform); // the key is now in this isolate's memory: authentication needs no D1
    const broken = withEnv({ DB: faultyD1((c) => (c.kind === "batch" ? "fail" : "ok")).db });
    const res = await send(broken, "/v1/metrics", { key: platform });
    const body = await expectProblem(res, 503, "store-unavailable");
    expect(res.headers.get("retry-after")).toBe("5");
    expect(JSON.stringify(body)).not.toMatch(/SQLITE|D1_ERROR|injected/);
  });
});
