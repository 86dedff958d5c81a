// What a key's object tells the isolate about its limits after a decision: the bucket, the
// tightest monthly quota (the key's or its tenant's), the tenant's shared bucket. The isolate
// turns it into the IETF RateLimit fields (headers.ts).
import { type Bucket, secondsUntil } from "./bucket.ts";
import { secondsToMonthEnd } from "./month.ts";
import type { AcquireRequest, BucketView, LimitView, QuotaView } from "./protocol.ts";

export function limitView(
  bucket: Bucket,
  req: Pick<AcquireRequest, "limit" | "keyQuota">,
  keyLeft: number | null,
  now: number,
  tenant: { limit: number; remaining: number } | null,
  tenantBucket: BucketView | null,
): LimitView {
  const resetSeconds = secondsToMonthEnd(now);
  let quota: QuotaView | null = keyLeft === null ? null : { policy: "month", limit: req.keyQuota!, remaining: keyLeft, resetSeconds };
  if (tenant && (!quota || tenant.remaining < quota.remaining)) {
    quota = { policy: "month", limit: tenant.limit, remaining: tenant.remaining, resetSeconds };
  }
  const full = bucket.tokens >= req.limit.capacity;
  return {
    limit: req.limit,
    tokens: bucket.tokens,
    nextTokenSeconds: full ? 0 : Math.max(1, Math.ceil(secondsUntil(bucket, req.limit, Math.floor(bucket.tokens) + 1))),
    quota,
    tenant: tenantBucket,
  };
}
