// GET /ready: the readiness check load balancers and deploy scripts poll. It reads D1 and KV once
// each (unlike /health, which touches neither) and says so per check.
import { afterAll, describe, expect, it } from "vitest";
import { call, json, storeCounts } from "../support/gateway.ts";
import { send, withEnv, settleBackground } from "../support/faults.ts";

afterAll(settleBackground);

describe("GET /ready", () => {
  it("is 200 with each check's status when D1 and KV both answer, and needs no key", async () => {
    const res = await send(withEnv({}), "/ready");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await json(res)).toEqual({ status: "ok", checks: { d1: "ok", kv: "ok" } });
    // It really reads each store (once), where /health reads none.
    expect(storeCounts(res)).toMatchObject({ "d1-read": 1, "kv-read": 1 });
    expect(storeCounts(await call("/health"))).toMatchObject({ "d1-read": 0, "kv-read": 0 });
  });

  it("an isolate reuses its answer for a second: a flood of probes does not become a flood of reads", async () => {
    const e = withEnv({});
    const first = await send(e, "/ready");
    expect(storeCounts(first)).toMatchObject({ "d1-read": 1, "kv-read": 1 });
    const again = await Promise.all(Array.from({ length: 20 }, () => send(e, "/ready")));
    for (const res of again) {
      expect(res.status).toBe(200);
      expect(storeCounts(res)).toMatchObject({ "d1-read": 0, "kv-read": 0 });
    }
    await new Promise((r) => setTimeout(r, 1_100));
    expect(storeCounts(await send(e, "/ready"))).toMatchObject({ "d1-read": 1, "kv-read": 1 });
  });

  it("is described in /openapi.json as public, with its 503", async () => {
    const doc = await json(await call("/openapi.json"));
    const op = doc.paths["/ready"].get;
    expect(op["x-keygate-scope"]).toBe("public");
    expect(op.security).toEqual([]);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["200", "503"]));
  });
});
