// Counting one response of a key: into this isolate's buffer, which reaches the key's object with
// its next lease call, or after USAGE_REPORT_MS in a report of its own if none comes.
import type { Sample } from "../analytics/rollup.ts";
import { log } from "../core/log.ts";
import type { KeyLimiterStub } from "../db/client.ts";
import { USAGE_REPORT_MS } from "./lease-policy.ts";
import { overdueUsage, recordUsage } from "./usage-buffer.ts";

export function countResponse(
  key: { keyId: string; tenantId: string },
  sample: Sample,
  object: () => KeyLimiterStub,
  defer: (work: Promise<unknown>) => void,
): void {
  if (!recordUsage(key.keyId, sample)) return;
  const stub = object();
  defer(
    new Promise((resolve) => setTimeout(resolve, USAGE_REPORT_MS)).then(() => {
      const overdue = overdueUsage(key.keyId, Date.now());
      if (!overdue) return;
      return stub
        .report({ ...overdue, keyId: key.keyId, tenantId: key.tenantId })
        .catch((err: unknown) => log("warn", "limiter.report_failed", { keyId: key.keyId, error: String(err) }));
    }),
  );
}
