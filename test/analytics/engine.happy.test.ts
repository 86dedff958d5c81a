// The Analytics Engine writer: one data point per request, in the layout queries rely on
// (blob1 tenant, blob2 key, blob3 route, blob4 outcome; double1 latency, double2 cost, double3
// status; the index is what Analytics Engine samples by).
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { writeRequestPoint, type RequestPoint } from "../../src/analytics/engine.ts";

/** A dataset double that records what it was given. */
function recorder() {
  const points: AnalyticsEngineDataPoint[] = [];
  return { points, dataset: { writeDataPoint: (p?: AnalyticsEngineDataPoint) => void points.push(p!) } as AnalyticsEngineDataset };
}

const point: RequestPoint = { tenantId: "ten_a", keyId: "key_a", route: "POST /v1/query", outcome: "valid", latencyMs: 12.5, cost: 2, status: 200 };

describe("writeRequestPoint", () => {
  it("writes one point with the documented blobs, doubles and index", () => {
    const { points, dataset } = recorder();
    writeRequestPoint(dataset, point);
    expect(points).toEqual([{ blobs: ["ten_a", "key_a", "POST /v1/query", "valid"], doubles: [12.5, 2, 200], indexes: ["ten_a"] }]);
  });

  it("indexes by the key when no tenant is known, and by '-' for keyless requests", () => {
    const { points, dataset } = recorder();
    writeRequestPoint(dataset, { ...point, tenantId: "" });
    writeRequestPoint(dataset, { ...point, tenantId: "", keyId: "", route: "(unauthenticated)", outcome: "missing_credential", status: 401, cost: 0 });
    expect(points.map((p) => p.indexes)).toEqual([["key_a"], ["-"]]);
    expect(points[1]).toEqual({ blobs: ["", "", "(unauthenticated)", "missing_credential"], doubles: [12.5, 0, 401], indexes: ["-"] });
  });

  it("does nothing without a dataset (a deployment without the binding)", () => {
    expect(() => writeRequestPoint(undefined, point)).not.toThrow();
  });

  it("the Worker has the ANALYTICS binding from wrangler.toml, and writing to it locally is harmless", () => {
    expect(env.ANALYTICS).toBeDefined();
    expect(typeof env.ANALYTICS.writeDataPoint).toBe("function");
    expect(() => writeRequestPoint(env.ANALYTICS, point)).not.toThrow();
  });
});
