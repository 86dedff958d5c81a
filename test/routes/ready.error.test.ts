// GET /ready when a store fails or hangs: a 503 problem that names the failed check, within the
// deadline, never a 500 and never a wait without end.
import { afterAll, describe, expect, it } from "vitest";
import { expectProblem } from "../support/admin.ts";
import { call } from "../support/gateway.ts";
import { faultyD1, faultyKV, send, withEnv, settleBackground } from "../support/faults.ts";
import { captureLogs } from "../support/hostile.ts";
import { READY_DEADLINE_MS } from "../../src/routes/ready.ts";

afterAll(settleBackground);

const logs = captureLogs();

describe("GET /ready, a store down", () => {
  it("D1 failing: 503 store-unavailable naming D1, KV still ok, Retry-After", async () => {
    const res = await send(withEnv({ DB: faultyD1(() => "fail").db }), "/ready");
    expect(res.headers.get("retry-after")).toBe("5");
    const body = await expectProblem(res, 503, "store-unavailable");
    expect(body.checks).toEqual({ d1: "failed", kv: "ok" });
    expect(body.detail).toMatch(/^Not ready: D1 failed/);
    // The cause is in the log, not in the public answer.
    expect(JSON.stringify(body)).not.toContain("SQLITE_BUSY");
    expect(logs.lines.some((l) => l.includes('"ready.check_failed"') && l.includes('"check":"d1"') && l.includes("SQLITE_BUSY"))).toBe(true);
  });

  it("KV failing: 503 naming KV, D1 still ok", async () => {
    const res = await send(withEnv({ KEY_CACHE: faultyKV({ get: "fail" }).kv }), "/ready");
    const body = await expectProblem(res, 503, "store-unavailable");
    expect(body.checks).toEqual({ d1: "ok", kv: "failed" });
    expect(body.detail).toMatch(/^Not ready: KV failed/);
  });

  it("both hanging: 503 naming both, within the deadline", async () => {
    const started = Date.now();
    const res = await send(withEnv({ DB: faultyD1(() => "hang").db, KEY_CACHE: faultyKV({ get: "hang" }).kv }), "/ready");
    const body = await expectProblem(res, 503, "store-unavailable");
    expect(Date.now() - started).toBeLessThan(READY_DEADLINE_MS + 1_500);
    expect(body.checks).toEqual({ d1: "failed", kv: "failed" });
    expect(body.detail).toMatch(/^Not ready: D1 and KV failed/);
  });

  it("a method it does not take: 405 problem with Allow", async () => {
    const res = await call("/ready", { method: "POST", body: {} });
    expect(res.headers.get("allow")).toBe("GET");
    await expectProblem(res, 405, "method-not-allowed");
  });
});
