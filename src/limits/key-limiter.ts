// One SQLite-backed Durable Object per key: the single place in the world that decides whether the
// key may spend tokens. Single-threaded, and every read-modify-write below completes without an
// await in between (or behind the input gate), so two callers can never spend the same token.
import { DurableObject } from "cloudflare:workers";
import type { RateLimit } from "../tenants/plans.ts";
import { type Bucket, refill, secondsUntil } from "./bucket.ts";
import { LEASE_MS, MAX_LEASE_FRACTION, USAGE_FLUSH_DELAY_MS } from "./lease-policy.ts";
import { monthOf, secondsToMonthEnd } from "./month.ts";
import type { AcquireRequest, AcquireResult, AuthRefusal, AuthState, LimitView, QuotaView } from "./protocol.ts";
import { flushUsage } from "./usage-flush.ts";
import { isEmpty, merge, type UsageReport } from "./usage.ts";

type Identity = { keyId: string; tenantId: string };

export class KeyLimiter extends DurableObject<Env> {
  private readonly kv = this.ctx.storage.kv;

  /** Authoritative state pushed by the admin API the moment it changes. */
  configure(state: AuthState & Identity): { version: number } {
    this.remember(state);
    const current = this.kv.get<AuthState>("auth");
    if (!current || state.version >= current.version) this.kv.put("auth", stripIdentity(state));
    return { version: this.kv.get<AuthState>("auth")!.version };
  }

  async acquire(req: AcquireRequest): Promise<AcquireResult> {
    const now = Date.now();
    this.remember(req);
    if (req.usage && !isEmpty(req.usage)) this.addUsage(req.usage);

    const auth = this.authState(req.state);
    const refusal = refuse(auth, req.hash, now);
    let bucket = refill(this.bucket(req.limit, now), req.limit, now);
    if (req.returned > 0) {
      bucket = { tokens: Math.min(req.limit.capacity, bucket.tokens + req.returned), at: now };
      this.releaseKeyQuota(req.returned, now);
    }
    const giveBackToTenant = async () => {
      if (req.returned > 0 && req.tenantQuota !== null) await this.tenantStub(req.tenantId).release(monthOf(now), req.returned);
    };
    if (refusal) {
      this.kv.put("bucket", bucket);
      await giveBackToTenant();
      return { ok: false, reason: refusal };
    }

    if (bucket.tokens < req.cost) {
      this.kv.put("bucket", bucket);
      await giveBackToTenant();
      const view = this.view(bucket, req, now);
      return { ok: false, reason: "burst", retryAfter: Math.max(1, Math.ceil(secondsUntil(bucket, req.limit, req.cost))), ...view };
    }

    // Lease size: what the isolate asks for, but never more than a fraction of what is left, so
    // one isolate cannot sit on tokens that others are being refused.
    const fair = Math.max(req.cost, Math.floor(bucket.tokens * MAX_LEASE_FRACTION));
    let grant = Math.min(Math.max(req.want, req.cost), fair, Math.floor(bucket.tokens));

    // Monthly quotas: the key's own here, the tenant's in the tenant's object. Both are debited at
    // lease time, like the bucket, and credited back for tokens that come back unused.
    const keyQuotaLeft = this.keyQuotaRemaining(req.keyQuota, now);
    if (keyQuotaLeft !== null) grant = Math.min(grant, keyQuotaLeft);
    if (grant < req.cost) {
      this.kv.put("bucket", bucket);
      await giveBackToTenant();
      return this.quotaRefusal(bucket, req, now, { limit: req.keyQuota!, remaining: keyQuotaLeft ?? 0 });
    }
    // Debit before the tenant call: the object's state must be final before it awaits anything.
    bucket = { tokens: bucket.tokens - grant, at: now };
    this.kv.put("bucket", bucket);
    this.debitKeyQuota(grant, now);

    let tenantView: { limit: number; remaining: number } | null = null;
    if (req.tenantQuota !== null) {
      const reserved = await this.tenantStub(req.tenantId).reserve(monthOf(now), grant, req.tenantQuota, req.returned);
      tenantView = { limit: req.tenantQuota, remaining: reserved.remaining };
      if (reserved.granted < req.cost) {
        if (reserved.granted > 0) await this.tenantStub(req.tenantId).release(monthOf(now), reserved.granted);
        this.credit(grant, req.limit, now);
        return this.quotaRefusal(this.kv.get<Bucket>("bucket")!, req, now, tenantView);
      }
      // The tenant covered only part of the lease: give the rest back.
      this.credit(grant - reserved.granted, req.limit, now);
      grant = reserved.granted;
    }

    const view = this.view(this.kv.get<Bucket>("bucket")!, req, now, tenantView);
    return { ok: true, granted: grant, leaseMs: LEASE_MS, scopes: auth.scopes, ...view };
  }

  /** Usage from an isolate that has no lease to ask for right now. */
  report(usage: UsageReport & Partial<Identity>): void {
    this.remember(usage);
    if (!isEmpty(usage)) this.addUsage(usage);
  }

  override async alarm(): Promise<void> {
    const identity = this.kv.get<Identity>("identity");
    if (!identity) return;
    await flushUsage(this.env.DB, this.kv, identity);
    if (this.kv.get("usage:pending")) await this.ctx.storage.setAlarm(Date.now() + USAGE_FLUSH_DELAY_MS);
  }

  // ---- state ----

  private remember(id: Partial<Identity>): void {
    if (id.keyId && id.tenantId && !this.kv.get("identity")) this.kv.put("identity", { keyId: id.keyId, tenantId: id.tenantId });
  }

  private authState(offered: AuthState): AuthState {
    const current = this.kv.get<AuthState>("auth");
    if (current && current.version === offered.version) {
      // Same version seen through another secret of the key (first contact came from a cache,
      // which knows only its own secret): learn the secret, change nothing else.
      const unknown = Object.keys(offered.secrets).filter((h) => !(h in current.secrets));
      if (unknown.length === 0) return current;
      const merged = { ...current, secrets: { ...current.secrets, ...offered.secrets, ...current.secrets } };
      this.kv.put("auth", merged);
      return merged;
    }
    if (current && current.version > offered.version) return current;
    // First contact, or a push was missed: the newer view wins (a revoke always bumps the version).
    this.kv.put("auth", offered);
    return offered;
  }

  private bucket(limit: RateLimit, now: number): Bucket {
    // A new object starts full. An evicted one reloads its persisted bucket, so eviction never
    // hands out a fresh bucket: every change is written before the caller hears the answer.
    return this.kv.get<Bucket>("bucket") ?? { tokens: limit.capacity, at: now };
  }

  private keyQuotaRemaining(quota: number | null, now: number): number | null {
    if (quota === null) return null;
    return Math.max(0, quota - (this.kv.get<number>(`quota:${monthOf(now)}`) ?? 0));
  }

  private debitKeyQuota(n: number, now: number): void {
    const k = `quota:${monthOf(now)}`;
    this.kv.put(k, (this.kv.get<number>(k) ?? 0) + n);
  }

  private releaseKeyQuota(n: number, now: number): void {
    const k = `quota:${monthOf(now)}`;
    const used = this.kv.get<number>(k);
    if (used !== undefined) this.kv.put(k, Math.max(0, used - n));
  }

  /** Tokens that were debited but will not be spent go back to the bucket and the key's quota. */
  private credit(n: number, limit: RateLimit, now: number): void {
    if (n <= 0) return;
    const b = refill(this.kv.get<Bucket>("bucket")!, limit, now);
    this.kv.put("bucket", { tokens: Math.min(limit.capacity, b.tokens + n), at: b.at });
    this.releaseKeyQuota(n, now);
  }

  private tenantStub(tenantId: string) {
    return this.env.TENANT_QUOTA.get(this.env.TENANT_QUOTA.idFromName(tenantId));
  }

  private addUsage(usage: UsageReport): void {
    const pending = this.kv.get<UsageReport>("usage:pending") ?? { rows: {}, lastUsedAt: 0 };
    merge(pending, usage);
    this.kv.put("usage:pending", pending);
    void this.ctx.storage.getAlarm().then((at) => {
      if (at === null) return this.ctx.storage.setAlarm(Date.now() + USAGE_FLUSH_DELAY_MS);
    });
  }

  private view(bucket: Bucket, req: AcquireRequest, now: number, tenant: { limit: number; remaining: number } | null = null): LimitView {
    const keyLeft = this.keyQuotaRemaining(req.keyQuota, now);
    let quota: QuotaView | null = null;
    const resetSeconds = secondsToMonthEnd(now);
    if (keyLeft !== null) quota = { policy: "month", limit: req.keyQuota!, remaining: keyLeft, resetSeconds };
    if (tenant && (!quota || tenant.remaining < quota.remaining)) {
      quota = { policy: "month", limit: tenant.limit, remaining: tenant.remaining, resetSeconds };
    }
    return {
      limit: req.limit,
      tokens: bucket.tokens,
      nextTokenSeconds: bucket.tokens >= req.limit.capacity ? 0 : Math.ceil(secondsUntil(bucket, req.limit, Math.floor(bucket.tokens) + 1)),
      quota,
    };
  }

  private quotaRefusal(bucket: Bucket, req: AcquireRequest, now: number, q: { limit: number; remaining: number }): AcquireResult {
    const view = this.view(bucket, req, now);
    const resetSeconds = secondsToMonthEnd(now);
    const quota: QuotaView = { policy: "month", limit: q.limit, remaining: q.remaining, resetSeconds };
    return { ok: false, reason: "month", retryAfter: resetSeconds, ...view, quota };
  }
}

function stripIdentity(s: AuthState & Partial<Identity>): AuthState {
  return { version: s.version, revokedAt: s.revokedAt, enabled: s.enabled, expiresAt: s.expiresAt, scopes: s.scopes, secrets: s.secrets };
}

function refuse(auth: AuthState, hash: string, now: number): AuthRefusal | null {
  if (auth.revokedAt !== null) return "revoked";
  if (!auth.enabled) return "disabled";
  if (!(hash in auth.secrets)) return "unknown-secret";
  const deadline = auth.secrets[hash];
  if ((auth.expiresAt !== null && auth.expiresAt <= now) || (deadline !== null && deadline !== undefined && deadline <= now)) return "expired";
  return null;
}
