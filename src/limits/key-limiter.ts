// One SQLite-backed Durable Object per key: the single place in the world that decides whether the
// key may spend tokens. Single-threaded, and every read-modify-write below is committed to storage
// before the only await (the tenant's quota), so two callers can never spend the same token.
//
// Exactness with leases: tokens a lease still holds are "outstanding", and the bucket refills only
// up to capacity minus them. So bucket + outstanding ≤ capacity at all times, and any window
// admits at most capacity + refill × its length, however many isolates hold leases.
import { DurableObject } from "cloudflare:workers";
import { grants, isScope } from "../keys/scopes.ts";
import type { RateLimit } from "../tenants/plans.ts";
import { type Bucket, refill, secondsUntil } from "./bucket.ts";
import { LEASE_MS, MAX_LEASE_FRACTION, USAGE_FLUSH_DELAY_MS } from "./lease-policy.ts";
import { monthOf, secondsToMonthEnd } from "./month.ts";
import type { AcquireRequest, AcquireResult, AuthRefusal, AuthState, LimitRefusal, LimitView, QuotaView } from "./protocol.ts";
import { flushUsage } from "./usage-flush.ts";
import { isEmpty, merge, type UsageReport } from "./usage.ts";

type Identity = { keyId: string; tenantId: string };
type Leases = Record<string, { n: number; exp: number }>;
const SEEN_REPORTS = 64;

export class KeyLimiter extends DurableObject<Env> {
  private readonly kv = this.ctx.storage.kv;

  /** Authoritative state pushed by the admin API the moment it changes. */
  configure(state: AuthState & Identity): { version: number } {
    this.remember(state);
    const current = this.kv.get<AuthState>("auth");
    if (!current || state.version >= current.version) this.kv.put("auth", sticky(current, stripIdentity(state)));
    return { version: this.kv.get<AuthState>("auth")!.version };
  }

  async acquire(req: AcquireRequest): Promise<AcquireResult> {
    const now = Date.now();
    const month = monthOf(now);
    this.remember(req);
    if (req.usage) this.addUsage(req.usage);
    const auth = this.authState(req.state);

    // Take back what the isolate returns: the lease stops being outstanding, its unused tokens go
    // back to the bucket and (same month only) to the quotas.
    const leases = this.liveLeases(now);
    let tenantCredit = 0;
    if (req.returned) {
      delete leases[req.returned.leaseId];
      if (req.returned.month === month) {
        this.adjustKeyQuota(month, -req.returned.tokens);
        tenantCredit = req.returned.tokens;
      }
    }
    let bucket = this.refilled(req.limit, leases, now, req.returned?.tokens ?? 0);

    const refuse = async (result: AcquireResult): Promise<AcquireResult> => {
      this.commit(bucket, leases);
      if (tenantCredit > 0 && req.tenantQuota !== null) await this.tenantRelease(req.tenantId, month, tenantCredit);
      return result;
    };

    const authRefusal = refuseAuth(auth, req.hash, now);
    if (authRefusal) return refuse({ ok: false, reason: authRefusal });
    if (req.scope !== null && isScope(req.scope) && !grants(auth.scopes, req.scope)) {
      return refuse({ ok: false, reason: "scope", scopes: auth.scopes });
    }
    if (bucket.tokens < req.cost) {
      return refuse(this.limitRefusal("burst", bucket, req, now, secondsUntil(bucket, req.limit, req.cost) * 1000));
    }

    // Lease size: what the isolate asks for, but never more than a share of what is left, so one
    // isolate cannot sit on tokens that others are being refused.
    const fair = Math.max(req.cost, Math.floor(bucket.tokens * MAX_LEASE_FRACTION));
    let grant = Math.min(Math.max(req.want, req.cost), fair, Math.floor(bucket.tokens));
    const keyLeft = this.keyQuotaLeft(req.keyQuota, month);
    if (keyLeft !== null) grant = Math.min(grant, keyLeft);
    if (grant < req.cost) return refuse(this.limitRefusal("month", bucket, req, now, secondsToMonthEnd(now) * 1000));

    // Commit the debit before awaiting the tenant: interleaved calls see it.
    const leaseId = crypto.randomUUID();
    bucket = { tokens: bucket.tokens - grant, at: bucket.at };
    if (grant > req.cost) leases[leaseId] = { n: grant - req.cost, exp: now + LEASE_MS };
    this.adjustKeyQuota(month, grant);
    this.commit(bucket, leases);

    let tenantQuota: { limit: number; remaining: number } | null = null;
    if (req.tenantQuota !== null) {
      let reserved: { granted: number; remaining: number };
      try {
        reserved = await this.tenantStub(req.tenantId).reserve(month, grant, req.tenantQuota, tenantCredit);
      } catch {
        this.giveBack(grant, leaseId, req.limit, month, now);
        return { ok: false, reason: "unavailable" };
      }
      tenantQuota = { limit: req.tenantQuota, remaining: reserved.remaining };
      if (reserved.granted < req.cost) {
        if (reserved.granted > 0) await this.tenantRelease(req.tenantId, month, reserved.granted);
        this.giveBack(grant, leaseId, req.limit, month, now);
        const after = this.kv.get<Bucket>("bucket")!;
        return this.limitRefusal("month", after, req, now, secondsToMonthEnd(now) * 1000, tenantQuota);
      }
      // The tenant covered only part of the lease: the rest goes back.
      this.giveBack(grant - reserved.granted, leaseId, req.limit, month, now);
      grant = reserved.granted;
    }

    const view = this.view(this.kv.get<Bucket>("bucket")!, req, month, now, tenantQuota);
    return { ok: true, leaseId, granted: grant, leaseMs: LEASE_MS, scopes: auth.scopes, ...view };
  }

  /** Usage from an isolate that has no lease to ask for right now. */
  report(usage: UsageReport & { id: string } & Partial<Identity>): void {
    this.remember(usage);
    this.addUsage(usage);
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
      // Same version seen through another secret of the key (a cache knows only its own secret):
      // learn the secret, change nothing else.
      if (Object.keys(offered.secrets).every((h) => h in current.secrets)) return current;
      const merged = { ...current, secrets: { ...offered.secrets, ...current.secrets } };
      this.kv.put("auth", merged);
      return merged;
    }
    if (current && current.version > offered.version) return current;
    // First contact, or a push was missed: the newer view wins, except that a revocation sticks.
    const adopted = sticky(current, offered);
    this.kv.put("auth", adopted);
    return adopted;
  }

  private liveLeases(now: number): Leases {
    const leases = this.kv.get<Leases>("leases") ?? {};
    for (const [id, l] of Object.entries(leases)) if (l.exp <= now) delete leases[id];
    return leases;
  }

  /** Refill, but only up to capacity minus what live leases still hold; then add `credit`. */
  private refilled(limit: RateLimit, leases: Leases, now: number, credit: number): Bucket {
    // A new object starts full. An evicted one reloads its persisted bucket, so eviction never
    // hands out a fresh bucket: every change is written before the caller hears the answer.
    const stored = this.kv.get<Bucket>("bucket") ?? { tokens: limit.capacity, at: now };
    const room = limit.capacity - Object.values(leases).reduce((n, l) => n + l.n, 0);
    const b = refill(stored, limit, now);
    return { tokens: Math.max(0, Math.min(room, b.tokens + credit)), at: b.at };
  }

  private commit(bucket: Bucket, leases: Leases): void {
    this.kv.put("bucket", bucket);
    this.kv.put("leases", leases);
  }

  /** Tokens debited for a lease that will not be spent: back to the bucket and the key's quota. */
  private giveBack(n: number, leaseId: string, limit: RateLimit, month: string, now: number): void {
    if (n <= 0) return;
    const leases = this.liveLeases(now);
    const lease = leases[leaseId];
    if (lease) {
      lease.n -= n;
      if (lease.n <= 0) delete leases[leaseId];
    }
    this.commit(this.refilled(limit, leases, now, n), leases);
    this.adjustKeyQuota(month, -n);
  }

  private keyQuotaLeft(quota: number | null, month: string): number | null {
    if (quota === null) return null;
    return Math.max(0, quota - (this.kv.get<number>(`quota:${month}`) ?? 0));
  }

  private adjustKeyQuota(month: string, delta: number): void {
    const k = `quota:${month}`;
    this.kv.put(k, Math.max(0, (this.kv.get<number>(k) ?? 0) + delta));
  }

  private tenantStub(tenantId: string) {
    return this.env.TENANT_QUOTA.get(this.env.TENANT_QUOTA.idFromName(tenantId));
  }

  private async tenantRelease(tenantId: string, month: string, n: number): Promise<void> {
    // Best effort: a failed release leaves the tenant's count high, never low.
    await this.tenantStub(tenantId)
      .release(month, n)
      .catch(() => undefined);
  }

  private addUsage(usage: UsageReport & { id: string }): void {
    if (isEmpty(usage)) return;
    const seen = this.kv.get<string[]>("usage:seen") ?? [];
    if (seen.includes(usage.id)) return; // a report resent after a lost answer
    this.kv.put("usage:seen", [...seen, usage.id].slice(-SEEN_REPORTS));
    const pending = this.kv.get<UsageReport>("usage:pending");
    const next = pending ?? { rows: {}, lastUsedAt: 0 };
    merge(next, usage);
    this.kv.put("usage:pending", next);
    if (!pending && !this.kv.get("usage:inflight")) void this.ctx.storage.setAlarm(Date.now() + USAGE_FLUSH_DELAY_MS);
  }

  private view(
    bucket: Bucket,
    req: Pick<AcquireRequest, "limit" | "keyQuota">,
    month: string,
    now: number,
    tenant: { limit: number; remaining: number } | null,
  ): LimitView {
    const resetSeconds = secondsToMonthEnd(now);
    const keyLeft = this.keyQuotaLeft(req.keyQuota, month);
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
    };
  }

  private limitRefusal(
    reason: "burst" | "month",
    bucket: Bucket,
    req: AcquireRequest,
    now: number,
    retryAfterMs: number,
    tenant: { limit: number; remaining: number } | null = null,
  ): LimitRefusal {
    return { ok: false, reason, retryAfterMs, ...this.view(bucket, req, monthOf(now), now, tenant) };
  }
}

function stripIdentity(s: AuthState & Partial<Identity>): AuthState {
  return { version: s.version, revokedAt: s.revokedAt, enabled: s.enabled, expiresAt: s.expiresAt, scopes: s.scopes, secrets: s.secrets };
}

/** Revocation is permanent: no later state, whatever its version or clock, undoes it. */
function sticky(current: AuthState | undefined, next: AuthState): AuthState {
  return current?.revokedAt != null && next.revokedAt == null ? { ...next, revokedAt: current.revokedAt } : next;
}

function refuseAuth(auth: AuthState, hash: string, now: number): AuthRefusal | null {
  if (auth.revokedAt !== null) return "revoked";
  if (!auth.enabled) return "disabled";
  if (!(hash in auth.secrets)) return "unknown-secret";
  const deadline = auth.secrets[hash] ?? null;
  if ((auth.expiresAt !== null && auth.expiresAt <= now) || (deadline !== null && deadline <= now)) return "expired";
  return null;
}
