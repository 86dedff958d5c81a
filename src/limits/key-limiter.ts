// One SQLite-backed Durable Object per key: the single place in the world that decides whether the
// key may spend tokens. Single-threaded, and every read-modify-write below is committed to storage
// before the only await (the tenant's quota), so two callers can never spend the same token.
//
// Exactness with leases: tokens a lease still holds are "outstanding", and the bucket refills only
// up to capacity minus them. So bucket + outstanding ≤ capacity at all times, and any window
// admits at most capacity + refill × its length, however many isolates hold leases.
//
// It also holds what needs one place worldwide besides the bucket: a link per open WebSocket of
// the key (closed the moment a change disallows it, live-sockets.ts) and WebSocket tickets.
import { DurableObject } from "cloudflare:workers";
import { deadline } from "../core/deadline.ts";
import { grants, isScope } from "../keys/scopes.ts";
import type { RateLimit } from "../tenants/plans.ts";
import { type Bucket, type Leases, liveLeases, refillBelowLeases, secondsUntil } from "./bucket.ts";
import { LEASE_MS, MAX_LEASE_FRACTION, USAGE_FLUSH_DELAY_MS } from "./lease-policy.ts";
import { monthOf, secondsToMonthEnd } from "./month.ts";
import type { AcquireRequest, AcquireResult, AuthState, BucketView, LimitRefusal, LimitView, TenantShare } from "./protocol.ts";
import { refuseAuth, stripIdentity, sticky } from "./auth-state.ts";
import { alarmNoLaterThan, closeDisallowed, LIVE_OPEN_HEADER, nextExpiry, acceptLink, type LiveOpen } from "./live-sockets.ts";
import { limitView } from "./limit-view.ts";
import { refuseByRules } from "./rule-check.ts";
import { redeemTicket, storeTicket, type Redeemed, type TicketMint, type TicketRedeem } from "./ticket-store.ts";
import { drainUsage } from "./usage-flush.ts";
import { acceptUsage } from "./usage-inbox.ts";
import type { UsageReport } from "./usage.ts";

type Identity = { keyId: string; tenantId: string };
type Quota = { limit: number; remaining: number };
/** Below the isolate's own deadline for this object (LIMITER_TIMEOUT_MS), so it hears a 503 reason. */
const TENANT_CALL_TIMEOUT_MS = 1_500;

export class KeyLimiter extends DurableObject<Env> {
  private readonly kv = this.ctx.storage.kv;

  /** Authoritative state pushed by the admin API the moment it changes. */
  configure(state: AuthState & Identity): { version: number } {
    this.remember(state);
    const current = this.kv.get<AuthState>("auth");
    if (!current || state.version >= current.version) this.kv.put("auth", sticky(current, stripIdentity(state)));
    const auth = this.kv.get<AuthState>("auth")!;
    // Open WebSockets hear the change now, not at their next message.
    closeDisallowed(this.ctx, auth);
    void this.alarmByExpiry(auth);
    return { version: auth.version };
  }

  /** The only HTTP this object serves: an isolate opening the link of one client WebSocket (live-sockets.ts). */
  override async fetch(request: Request): Promise<Response> {
    const open = JSON.parse(request.headers.get(LIVE_OPEN_HEADER) ?? "null") as LiveOpen | null;
    if (!open || request.headers.get("upgrade") !== "websocket") return new Response(null, { status: 400 });
    this.remember(open);
    const auth = this.authState(open.state);
    const answer = acceptLink(this.ctx, open, auth);
    if (answer.status === 101) await this.alarmByExpiry(auth);
    return answer;
  }

  mintTicket(t: TicketMint & Identity): { ok: boolean } {
    this.remember(t);
    return { ok: storeTicket(this.kv, t) };
  }

  redeemTicket(r: TicketRedeem): Redeemed {
    return redeemTicket(this.kv, r);
  }

  /** An open link must close when its key or secret expires: the alarm wakes the object then. */
  private alarmByExpiry(auth: AuthState): Promise<void> {
    return alarmNoLaterThan(this.ctx.storage, nextExpiry(this.ctx, auth));
  }

  /**
   * A call that shares a lease with the tenant's object awaits it, and calls arriving meanwhile
   * would each take their share of this bucket before any of them hears from the tenant, leaving
   * it empty (refusing as "burst" what the tenant's bucket would have decided). Those calls take
   * turns; calls that need no tenant never wait.
   */
  private turn: Promise<unknown> = Promise.resolve();

  acquire(req: AcquireRequest): Promise<AcquireResult> {
    if (req.tenantQuota === null && req.tenantLimit === null) return this.acquireNow(req);
    const run = this.turn.then(() => this.acquireNow(req));
    this.turn = run.catch(() => undefined);
    return run;
  }

  private async acquireNow(req: AcquireRequest): Promise<AcquireResult> {
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
    const sharesWithTenant = req.tenantQuota !== null || req.tenantLimit !== null;
    const tenantReturn = req.returned && req.tenantLimit ? { leaseId: req.returned.leaseId, tokens: req.returned.tokens } : null;

    const refuse = async (result: AcquireResult): Promise<AcquireResult> => {
      this.commit(bucket, leases);
      if ((tenantCredit > 0 && req.tenantQuota !== null) || tenantReturn) {
        await this.tenantGiveBack(req, month, req.tenantQuota !== null ? tenantCredit : 0, tenantReturn);
      }
      return result;
    };

    const authRefusal = refuseAuth(auth, req.hash, now);
    if (authRefusal) return refuse({ ok: false, reason: authRefusal });
    if (req.scope !== null && isScope(req.scope) && !grants(auth.scopes, req.scope)) {
      return refuse({ ok: false, reason: "scope", scopes: auth.scopes });
    }
    // A renewal (cost 0) serves no request of its own: its lease's requests are checked one by one.
    const ruled = req.cost > 0 ? refuseByRules(auth.rules, req) : null;
    if (ruled) return refuse(ruled);
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
    let tenantBucket: BucketView | null = null;
    if (sharesWithTenant) {
      let share: TenantShare;
      try {
        // Bounded: calls of this key take turns behind this one (see `turn`).
        share = await deadline(this.tenantStub(req.tenantId).take({
          month,
          want: grant,
          cost: req.cost,
          leaseId,
          quota: req.tenantQuota !== null ? { limit: req.tenantQuota, returned: tenantCredit } : null,
          bucket: req.tenantLimit,
          returned: tenantReturn,
        }), TENANT_CALL_TIMEOUT_MS, "the tenant's limiter");
      } catch {
        this.giveBack(grant, leaseId, req.limit, month, now);
        return { ok: false, reason: "unavailable" };
      }
      tenantQuota = req.tenantQuota !== null ? { limit: req.tenantQuota, remaining: share.quotaRemaining ?? 0 } : null;
      tenantBucket = share.bucket;
      if (share.refusedBy) {
        this.giveBack(grant, leaseId, req.limit, month, now);
        const after = this.kv.get<Bucket>("bucket")!;
        return this.limitRefusal(share.refusedBy, after, req, now, share.retryAfterMs, tenantQuota, tenantBucket);
      }
      // The tenant covered only part of the lease: the rest goes back.
      this.giveBack(grant - share.granted, leaseId, req.limit, month, now);
      grant = share.granted;
    }

    const view = this.view(this.kv.get<Bucket>("bucket")!, req, month, now, tenantQuota, tenantBucket);
    return { ok: true, leaseId, granted: grant, leaseMs: LEASE_MS, scopes: auth.scopes, rules: auth.rules, ...view };
  }

  /** Usage from an isolate that has no lease to ask for right now. */
  report(usage: UsageReport & { id: string } & Partial<Identity>): void {
    this.remember(usage);
    this.addUsage(usage);
  }

  override async alarm(): Promise<void> {
    const auth = this.kv.get<AuthState>("auth");
    if (auth) closeDisallowed(this.ctx, auth);
    const identity = this.kv.get<Identity>("identity");
    const next = identity ? await drainUsage(this.env.DB, this.kv, identity, USAGE_FLUSH_DELAY_MS) : null;
    if (next !== null) await alarmNoLaterThan(this.ctx.storage, Date.now() + next);
    if (auth) await this.alarmByExpiry(auth);
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
    // First contact, or a push was missed: the newer view wins, except that a revocation sticks,
    // and open WebSockets hear it as if it had been pushed.
    const adopted = sticky(current, offered);
    this.kv.put("auth", adopted);
    if (current) {
      closeDisallowed(this.ctx, adopted);
      void this.alarmByExpiry(adopted);
    }
    return adopted;
  }

  private liveLeases(now: number): Leases {
    return liveLeases(this.kv.get<Leases>("leases"), now);
  }

  /** Refill below what live leases hold, then add `credit`. An evicted object reloads its persisted
   * bucket, so eviction never hands out a fresh one: every change is written before the answer. */
  private refilled(limit: RateLimit, leases: Leases, now: number, credit: number): Bucket {
    return refillBelowLeases(this.kv.get<Bucket>("bucket"), limit, leases, now, credit);
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

  /** A refused call still returns what the isolate gave back. Best effort: a failure leaves the
   * tenant's counts high (its quota used, its bucket's lease outstanding until it ends), never low. */
  private async tenantGiveBack(req: AcquireRequest, month: string, quotaTokens: number, lease: { leaseId: string; tokens: number } | null): Promise<void> {
    await this.tenantStub(req.tenantId)
      .giveBack({ month, quotaTokens, lease, bucket: req.tenantLimit })
      .catch(() => undefined);
  }

  private addUsage(usage: UsageReport & { id: string }): void {
    if (acceptUsage(this.kv, usage)) {
      // Not later than that: an open link's expiry may already have set an earlier alarm.
      void alarmNoLaterThan(this.ctx.storage, Date.now() + USAGE_FLUSH_DELAY_MS);
      return;
    }
    // Something already waits: its alarm should be set, but an object of an older release may have
    // lost it; a flush that has no alarm would wait forever.
    void this.ctx.storage.getAlarm().then((at) => (at === null ? this.ctx.storage.setAlarm(Date.now() + USAGE_FLUSH_DELAY_MS) : undefined));
  }

  private view(bucket: Bucket, req: Pick<AcquireRequest, "limit" | "keyQuota">, month: string, now: number, tenant: Quota | null, tenantBucket: BucketView | null = null): LimitView {
    return limitView(bucket, req, this.keyQuotaLeft(req.keyQuota, month), now, tenant, tenantBucket);
  }

  private limitRefusal(
    reason: LimitRefusal["reason"],
    bucket: Bucket,
    req: AcquireRequest,
    now: number,
    retryAfterMs: number,
    tenant: { limit: number; remaining: number } | null = null,
    tenantBucket: BucketView | null = null,
  ): LimitRefusal {
    return { ok: false, reason, retryAfterMs, ...this.view(bucket, req, monthOf(now), now, tenant, tenantBucket) };
  }
}
