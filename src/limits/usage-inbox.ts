// What a key's object does with usage an isolate hands it: ignore a report it already has (resent
// after a lost answer), add the rest to what waits for the next flush, and note the security
// events it reveals. Returns whether a flush must be scheduled (nothing was waiting before).
import { appendEvents, securityEvents, type SecurityEvent } from "./security-events.ts";
import { isEmpty, merge, upgradeReport, type UsageReport } from "./usage.ts";

const SEEN_REPORTS = 64;

export function acceptUsage(kv: SyncKvStorage, offered: UsageReport & { id: string }): boolean {
  if (isEmpty(offered)) return false;
  const usage = upgradeReport(offered);
  const seen = kv.get<string[]>("usage:seen") ?? [];
  if (seen.includes(usage.id)) return false;
  kv.put("usage:seen", [...seen, usage.id].slice(-SEEN_REPORTS));
  const stored = kv.get<UsageReport>("usage:pending");
  const pending = stored && upgradeReport(stored);
  const waiting = kv.get<SecurityEvent[]>("usage:events");
  const next = pending ?? { rows: {}, lastUsedAt: 0 };
  merge(next, usage);
  kv.put("usage:pending", next);
  const audited = kv.get<Record<string, number>>("usage:audited") ?? {};
  const events = securityEvents(usage.rows, audited);
  if (events.length > 0) {
    kv.put("usage:events", appendEvents(waiting ?? [], events));
    kv.put("usage:audited", audited);
  }
  return !pending && !waiting && !kv.get("usage:inflight");
}
