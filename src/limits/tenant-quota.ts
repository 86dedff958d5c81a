// One object per tenant holds what all of the tenant's keys share: its monthly quota and its
// bucket (the tenant-wide rate limit). Keys' objects take tokens from it when they grant a lease,
// in one call for both, and give back what comes back unused. The bucket is leased exactly like a
// key's (bucket.ts: refill only below what live leases hold), so the tenant's keys together never
// get more than capacity + refill × elapsed, and a hot tenant costs one call per key lease, not
// per request.
import { DurableObject } from "cloudflare:workers";
import type { RateLimit } from "../tenants/plans.ts";
import { type Bucket, type Leases, liveLeases, refillBelowLeases, secondsUntil } from "./bucket.ts";
import { LEASE_MS, MAX_LEASE_FRACTION } from "./lease-policy.ts";
import { secondsToMonthEnd } from "./month.ts";
import type { TenantShare, TenantTake } from "./protocol.ts";

export class TenantQuota extends DurableObject<Env> {
  private readonly kv = this.ctx.storage.kv;

  /**
   * Up to `want` tokens (at least `cost`, or none) from the tenant's bucket and quota, whichever
   * is tighter, after taking back what a returned lease still held. The part beyond `cost` stays
   * outstanding under `leaseId` until it comes back or the lease ends.
   */
  take(req: TenantTake): TenantShare {
    const now = Date.now();
    const leases = liveLeases(this.kv.get<Leases>("leases"), now);
    const credit = req.returned ? this.takeBack(leases, req.returned) : 0;
    const usedKey = `used:${req.month}`;
    const used = Math.max(0, (this.kv.get<number>(usedKey) ?? 0) - (req.quota?.returned ?? 0));
    let bucket = req.bucket ? refillBelowLeases(this.kv.get<Bucket>("bucket"), req.bucket, leases, now, credit) : null;

    let grant = Math.max(req.want, req.cost);
    let refusedBy: TenantShare["refusedBy"] = null;
    let retryAfterMs = 0;
    if (bucket && req.bucket) {
      if (bucket.tokens < req.cost) {
        refusedBy = "tenant";
        retryAfterMs = secondsUntil(bucket, req.bucket, req.cost) * 1000;
      }
      // A fair share, as a key's object leases its own bucket: one key's lease must not sit on
      // tokens the tenant's other keys are being refused.
      grant = Math.min(grant, Math.max(req.cost, Math.floor(bucket.tokens * MAX_LEASE_FRACTION)), Math.floor(bucket.tokens));
    }
    if (!refusedBy && req.quota) {
      const left = Math.max(0, req.quota.limit - used);
      if (left < req.cost) {
        refusedBy = "month";
        retryAfterMs = secondsToMonthEnd(now) * 1000;
      }
      grant = Math.min(grant, left);
    }
    if (refusedBy) grant = 0;

    if (bucket) {
      bucket = { tokens: bucket.tokens - grant, at: bucket.at };
      if (grant > req.cost) leases[req.leaseId] = { n: grant - req.cost, exp: now + LEASE_MS };
      this.kv.put("bucket", bucket);
      this.kv.put("leases", leases);
    }
    if (req.quota) this.kv.put(usedKey, used + grant);
    return {
      granted: grant,
      refusedBy,
      retryAfterMs,
      quotaRemaining: req.quota ? Math.max(0, req.quota.limit - used - grant) : null,
      bucket: bucket && req.bucket ? { limit: req.bucket, tokens: bucket.tokens, nextTokenSeconds: nextToken(bucket, req.bucket) } : null,
    };
  }

  /** Tokens a key's object took but will not spend (a lease it shortened, a month it refused). */
  giveBack(req: { month: string; quotaTokens: number; lease: { leaseId: string; tokens: number } | null; bucket: RateLimit | null }): void {
    if (req.quotaTokens > 0) {
      const key = `used:${req.month}`;
      this.kv.put(key, Math.max(0, (this.kv.get<number>(key) ?? 0) - req.quotaTokens));
    }
    if (req.lease && req.bucket) {
      const now = Date.now();
      const leases = liveLeases(this.kv.get<Leases>("leases"), now);
      const credit = this.takeBack(leases, req.lease);
      this.kv.put("bucket", refillBelowLeases(this.kv.get<Bucket>("bucket"), req.bucket, leases, now, credit));
      this.kv.put("leases", leases);
    }
  }

  used(month: string): number {
    return this.kv.get<number>(`used:${month}`) ?? 0;
  }

  /** A lease given back: no longer outstanding; what it held (at most) goes back to the bucket. */
  private takeBack(leases: Leases, returned: { leaseId: string; tokens: number }): number {
    const lease = leases[returned.leaseId];
    if (!lease) return 0; // ended already: its tokens are no longer held anywhere
    delete leases[returned.leaseId];
    return Math.min(lease.n, Math.max(0, returned.tokens));
  }
}

function nextToken(bucket: Bucket, limit: RateLimit): number {
  return bucket.tokens >= limit.capacity ? 0 : Math.max(1, Math.ceil(secondsUntil(bucket, limit, Math.floor(bucket.tokens) + 1)));
}
