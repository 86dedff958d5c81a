// Usage counted in this isolate until it can ride along with the key's next lease call (or, for a
// key gone quiet, a report of its own after USAGE_REPORT_MS). Never a store write per request.
import type { Sample } from "../analytics/rollup.ts";
import { BoundedMap } from "../core/bounded-map.ts";
import { MAX_KEYS_PER_ISOLATE } from "./isolate-bounds.ts";
import { USAGE_REPORT_MS } from "./lease-policy.ts";
import { emptyReport, isEmpty, record, type UsageReport } from "./usage.ts";

const pendingUsage = new BoundedMap<string, { report: UsageReport; since: number }>(MAX_KEYS_PER_ISOLATE);

/** Returns true when this starts a new batch for the key (the caller schedules its report). */
export function recordUsage(keyId: string, sample: Sample): boolean {
  let p = pendingUsage.get(keyId);
  const started = !p;
  if (!p) {
    // Full: counts of keys already waiting are kept rather than traded for a new key's.
    if (pendingUsage.size >= pendingUsage.max) return false;
    pendingUsage.set(keyId, (p = { report: emptyReport(), since: sample.at }));
  }
  record(p.report, sample);
  return started;
}

/** The key's counts so far, handed to a call to its object (and forgotten here). */
export function takeUsage(keyId: string): (UsageReport & { id: string }) | null {
  const p = pendingUsage.get(keyId);
  pendingUsage.delete(keyId);
  return p && !isEmpty(p.report) ? { ...p.report, id: crypto.randomUUID() } : null;
}

/** Usage still waiting for a lease call after USAGE_REPORT_MS (a key gone quiet here). */
export function overdueUsage(keyId: string, now: number): (UsageReport & { id: string }) | null {
  const p = pendingUsage.get(keyId);
  if (!p || now - p.since < USAGE_REPORT_MS) return null;
  return takeUsage(keyId);
}

export const pendingUsageSize = (): number => pendingUsage.size;
