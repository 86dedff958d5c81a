// A dataset that fails (over its limits, a bad binding, an outage): the request it was written
// for must not fail, and the log gets one line per isolate, not one per request.
import { afterEach, describe, expect, it, vi } from "vitest";
import { writeRequestPoint } from "../../src/analytics/engine.ts";

const point = { tenantId: "ten_a", keyId: "key_a", route: "GET /v1/jobs", outcome: "valid", latencyMs: 3, cost: 1, status: 200 };

afterEach(() => vi.restoreAllMocks());

describe("writeRequestPoint with a failing dataset", () => {
  it("never throws, and logs the failure once, as a warning without the point's data", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    let calls = 0;
    const failing = {
      writeDataPoint: () => {
        calls++;
        throw new Error("writeDataPoint(): Maximum of 25 data points per invocation exceeded");
      },
    } as unknown as AnalyticsEngineDataset;
    for (let i = 0; i < 50; i++) expect(() => writeRequestPoint(failing, point)).not.toThrow();
    expect(calls).toBe(50);
    expect(warn).toHaveBeenCalledTimes(1);
    const line = JSON.parse(String(warn.mock.calls[0]![0]));
    expect(line).toMatchObject({ level: "warn", event: "analytics_engine.write_failed", error: expect.stringContaining("Maximum of 25") });
    expect(JSON.stringify(line)).not.toContain("key_a");
  });

  it("a dataset that throws something other than an Error is survived too", () => {
    const odd = { writeDataPoint: () => { throw "not an error"; } } as unknown as AnalyticsEngineDataset;
    expect(() => writeRequestPoint(odd, point)).not.toThrow();
  });
});
