// One Workers Analytics Engine data point per request, for questions too fine-grained for the D1
// rollups (per key and route over arbitrary windows, through Cloudflare's SQL API). The rollups
// stay the source of truth: Analytics Engine samples, and locally its writes are discarded.
import { log } from "../core/log.ts";

export type RequestPoint = {
  tenantId: string;
  keyId: string;
  route: string;
  outcome: string;
  latencyMs: number;
  cost: number;
  status: number;
};

// A dataset that fails once fails for every request of the isolate; one line says so.
let reportedFailure = false;

/**
 * Queries read blob1 = tenant, blob2 = key, blob3 = route, blob4 = outcome, double1 = latency ms,
 * double2 = cost in tokens, double3 = status; the index (the sampling key) is the tenant, or the
 * key when no tenant is known, so sampling keeps each tenant's points together.
 * Never throws: a request must not fail because its telemetry could not be written.
 */
export function writeRequestPoint(dataset: AnalyticsEngineDataset | undefined, point: RequestPoint): void {
  if (!dataset) return;
  try {
    dataset.writeDataPoint({
      blobs: [point.tenantId, point.keyId, point.route, point.outcome],
      doubles: [point.latencyMs, point.cost, point.status],
      indexes: [point.tenantId || point.keyId || "-"],
    });
  } catch (err) {
    if (reportedFailure) return;
    reportedFailure = true;
    log("warn", "analytics_engine.write_failed", { error: String(err) });
  }
}
