// Isolate-local token leases. An isolate takes a small batch of tokens from the key's object and
// spends them here, so a hot key needs far less than one object call per request. Tokens are
// debited in the object when leased (nothing is over-admitted); whatever a lease still holds when
// it is given up goes back with the isolate's next call. A lease also carries the object's
// authoritative scopes, so a revocation or scope change holds everywhere within LEASE_MS.
import { BoundedMap } from "../core/bounded-map.ts";
import { deadline } from "../core/deadline.ts";
import { log } from "../core/log.ts";
import { lookAgain } from "../core/look-again.ts";
import { grants, isScope } from "../keys/scopes.ts";
import { NO_RULES, type KeyRules } from "../keys/access-rules.ts";
import type { KeySnapshot, TenantSnapshot } from "../keys/snapshot.ts";
import { MAX_KEYS_PER_ISOLATE } from "./isolate-bounds.ts";
import { LEASE_MS, LIMITER_TIMEOUT_MS, MAX_LEASE_TOKENS, MAX_REFUSAL_CACHE_MS, RENEW_AT_FRACTION } from "./lease-policy.ts";
import { monthOf } from "./month.ts";
import type { AcquireRequest, AcquireResult, AuthState, LimitRefusal, LimitView, Returned } from "./protocol.ts";
import { refuseByRules, type Where } from "./rule-check.ts";
import { countTraffic, rateOf, resetTraffic, trafficSize } from "./traffic.ts";
import { pendingUsageSize, takeUsage } from "./usage-buffer.ts";

type Lease = { id: string; tokens: number; granted: number; expiresAt: number; msLeased: number; month: string; scopes: string[]; rules?: KeyRules; view: LimitView };

// Per key, bounded (isolate-bounds.ts). A dropped lease or orphan only strands tokens until the
// object's lease ends (LEASE_MS); a dropped refusal or in-flight call costs one more object call.
const leases = new BoundedMap<string, Lease>(MAX_KEYS_PER_ISOLATE);
/** Tokens of leases given up without a call to carry them back yet. */
const orphans = new BoundedMap<string, Returned>(MAX_KEYS_PER_ISOLATE);
/**
 * The object's last 429 for a key, repeated without asking it until `until` (at most
 * MAX_REFUSAL_CACHE_MS). `retryAt` is when the object said the key may try again: every repeat
 * states that true wait, however long, not the time this copy happens to be kept.
 */
type Remembered = { until: number; retryAt: number; result: LimitRefusal };
const refusals = new BoundedMap<string, Remembered>(MAX_KEYS_PER_ISOLATE);
const inflight = new BoundedMap<string, Promise<unknown>>(MAX_KEYS_PER_ISOLATE);
/**
 * Bumped by every admin change made in this isolate: a lease call already on its way is then not
 * trusted. One number rather than one per key, so nothing here can grow; a change of another key
 * costs a call in flight one retry.
 */
let changes = 0;

export type Limiter = {
  acquire(req: AcquireRequest): Promise<AcquireResult>;
};

/** What admission needs from the request: the key's object, made only when it is called. */
export type LimiterAccess = {
  /** For a call the request waits for. */
  limiter: () => Limiter;
  /** For a lease renewal the request starts but does not wait for (metered apart). */
  backgroundLimiter: () => Limiter;
  /** Keeps background work alive after the response (waitUntil). */
  defer: (work: Promise<unknown>) => void;
};

export type Admitted = { ok: true; view: LimitView; remaining: number };
export type Decision = Admitted | Exclude<AcquireResult, { ok: true }>;

/** Called by the isolate that changes a key: nothing leased before the change is spent after it. */
export function dropLease(keyId: string): void {
  changes++;
  giveUp(keyId);
  refusals.delete(keyId);
}

/** For tests that play another isolate: no lease, no remembered refusal (pending usage is kept). */
export function resetLeases(): void {
  leases.clear();
  orphans.clear();
  refusals.clear();
  inflight.clear();
  resetTraffic();
}

/** How many keys each of this isolate's per-key maps holds (tests check the bound). */
export function isolateState(): Record<string, number> {
  return { leases: leases.size, orphans: orphans.size, refusals: refusals.size, inflight: inflight.size, traffic: trafficSize(), pendingUsage: pendingUsageSize() };
}

function remember(keyId: string, result: LimitRefusal, now: number): void {
  refusals.set(keyId, { until: now + Math.min(result.retryAfterMs, MAX_REFUSAL_CACHE_MS), retryAt: now + result.retryAfterMs, result });
}

export function authStateOf(key: KeySnapshot): AuthState {
  return {
    version: key.version,
    revokedAt: key.revokedAt,
    enabled: key.enabled,
    expiresAt: key.expiresAt,
    scopes: key.scopes,
    secrets: { [key.hash]: key.secretExpiresAt },
    rules: key.rules,
  };
}

/**
 * Admit one request of `cost` tokens for a route needing `scope`: from the lease if it can,
 * otherwise through the key's object. Concurrent requests of this isolate share one call: while
 * one is out for the key, the others look at the lease again on their own timers
 * (core/look-again.ts) before making their own. A decision made here (the lease's, or a
 * remembered 429) comes back as it is, not as a promise: most requests, no await.
 */
export function admitRequest(access: LimiterAccess, key: KeySnapshot, tenant: TenantSnapshot, scope: string | null, cost: number, where: Where = {}): Decision | Promise<Decision> {
  countTraffic(key.keyId, Date.now());
  const decided = fromMemory(access, key, tenant, scope, cost, where);
  if (decided) return decided;
  if (!inflight.has(key.keyId)) return callObject(access.limiter(), key, tenant, scope, cost, where);
  return lookAgain(
    () => fromMemory(access, key, tenant, scope, cost, where),
    () => inflight.has(key.keyId),
  ).then((later) => later ?? callObject(access.limiter(), key, tenant, scope, cost, where));
}

/** What this isolate can decide alone: from the lease (renewed ahead when it runs low), or a 429 it remembers. */
function fromMemory(access: LimiterAccess, key: KeySnapshot, tenant: TenantSnapshot, scope: string | null, cost: number, where: Where): Decision | undefined {
  const now = Date.now();
  const local = fromLease(key.keyId, scope, cost, now, where);
  if (local) {
    if (endingSoon(key.keyId, now)) renewInBackground(access, key, tenant);
    return local;
  }
  const refused = refusals.get(key.keyId);
  if (refused && refused.until > now) return { ...refused.result, retryAfterMs: Math.max(0, refused.retryAt - now) };
  return undefined;
}

/**
 * The key's rules as fresh as this isolate knows them: its lease's (the object's, at most LEASE_MS
 * old) when it holds one, else the cached copy's. For the stages that refuse before admission.
 */
export function currentRules(key: KeySnapshot, now = Date.now()): KeyRules {
  const lease = leases.get(key.keyId);
  return (lease && lease.expiresAt > now ? lease.rules : undefined) ?? key.rules ?? NO_RULES;
}

function endingSoon(keyId: string, now: number): boolean {
  const lease = leases.get(keyId);
  if (!lease || inflight.has(keyId) || refusals.has(keyId)) return false;
  if (lease.expiresAt - now >= lease.msLeased * RENEW_AT_FRACTION && lease.tokens >= lease.granted * RENEW_AT_FRACTION) return false;
  // A key this isolate sees rarely would pay an object call per request for leases it never uses.
  return (rateOf(keyId, now) * LEASE_MS) / 1000 >= MIN_REQUESTS_PER_RENEWED_LEASE;
}

/** Below this many requests expected per lease, a key's leases are not renewed ahead of time. */
const MIN_REQUESTS_PER_RENEWED_LEASE = 2;

/**
 * Asks for the next lease while requests keep spending the current one. It spends nothing itself
 * (cost 0). When it lands, the new lease takes over and what the old one still holds goes back
 * with the next call, like any lease given up. Requests that find the old lease empty meanwhile
 * look at the lease again while this call is out (admitRequest) rather than making their own.
 */
function renewInBackground(access: LimiterAccess, key: KeySnapshot, tenant: TenantSnapshot): void {
  const keyId = key.keyId;
  const now = Date.now();
  const generation = changes;
  const returned = orphans.get(keyId) ?? null;
  if (returned) orphans.delete(keyId);
  const call = acquire(access.backgroundLimiter(), key, tenant, { scope: null, cost: 0, returned, now });
  inflight.set(keyId, call);
  access.defer(
    call
      .then((result) => {
        if (!result.ok) {
          if (result.reason === "burst" || result.reason === "tenant" || result.reason === "month") {
            remember(keyId, result, now);
          } else if (result.reason !== "unavailable") {
            // Revoked, disabled, expired, a scope gone: stop spending; the next request asks the
            // object itself and gets the refusal with its reason.
            giveUp(keyId);
          }
          return;
        }
        if (result.granted === 0) return; // nothing left to lease: keep spending the old one
        if (changes !== generation) {
          if (!orphans.has(keyId)) orphans.set(keyId, { leaseId: result.leaseId, tokens: result.granted, month: monthOf(now) });
          return;
        }
        giveUp(keyId);
        leases.set(keyId, lease(result, result.granted, now));
      })
      .catch((err: unknown) => log("warn", "limiter.renew_failed", { keyId, error: String(err) }))
      .finally(() => {
        if (inflight.get(keyId) === call) inflight.delete(keyId);
      }),
  );
}

/** The key's lease stops being spent; its tokens go back with the next call (if the slot is free). */
function giveUp(keyId: string): void {
  const old = leases.get(keyId);
  leases.delete(keyId);
  if (old && old.tokens > 0 && !orphans.has(keyId)) orphans.set(keyId, { leaseId: old.id, tokens: old.tokens, month: old.month });
}

function lease(result: Extract<AcquireResult, { ok: true }>, tokens: number, now: number): Lease {
  return { id: result.leaseId, tokens, granted: tokens, expiresAt: now + result.leaseMs, msLeased: result.leaseMs, month: monthOf(now), scopes: result.scopes, rules: result.rules, view: result };
}

function fromLease(keyId: string, scope: string | null, cost: number, now: number, where: Where): Decision | null {
  const lease = leases.get(keyId);
  if (!lease || lease.expiresAt <= now) return null;
  // The lease's scopes are the object's, at most LEASE_MS old: decide scope here, spend nothing.
  if (scope !== null && isScope(scope) && !grants(lease.scopes, scope)) return { ok: false, reason: "scope", scopes: lease.scopes };
  const ruled = refuseByRules(lease.rules, where);
  if (ruled) return ruled;
  if (lease.tokens < cost) return null;
  lease.tokens -= cost;
  return { ok: true, view: lease.view, remaining: lease.view.tokens + lease.tokens };
}

async function callObject(limiter: Limiter, key: KeySnapshot, tenant: TenantSnapshot, scope: string | null, cost: number, where: Where): Promise<Decision> {
  const now = Date.now();
  const generation = changes;
  const old = leases.get(key.keyId);
  leases.delete(key.keyId);
  const returned = old && old.tokens > 0 ? { leaseId: old.id, tokens: old.tokens, month: old.month } : (orphans.get(key.keyId) ?? null);
  if (returned && !old) orphans.delete(key.keyId);
  const call = acquire(limiter, key, tenant, { scope, cost, returned, now, where });
  inflight.set(key.keyId, call);
  let result: AcquireResult;
  try {
    result = await call;
  } finally {
    if (inflight.get(key.keyId) === call) inflight.delete(key.keyId);
  }
  if (!result.ok) {
    if (result.reason === "burst" || result.reason === "tenant" || result.reason === "month") {
      remember(key.keyId, result, now);
    }
    return result;
  }
  const leftover = result.granted - cost;
  if (changes !== generation) {
    // The key changed here while the call was out: keep nothing from it, ask again.
    if (leftover > 0) orphans.set(key.keyId, { leaseId: result.leaseId, tokens: leftover, month: monthOf(now) });
    return callObject(limiter, key, tenant, scope, cost, where);
  }
  refusals.delete(key.keyId);
  if (leftover > 0) leases.set(key.keyId, lease(result, leftover, now));
  return { ok: true, view: result, remaining: result.tokens + leftover };
}

/** One acquire call to the key's object, carrying the pending usage, bounded by the deadline. */
function acquire(
  limiter: Limiter,
  key: KeySnapshot,
  tenant: TenantSnapshot,
  call: { scope: string | null; cost: number; returned: Returned | null; now: number; where?: Where },
): Promise<AcquireResult> {
  const limit = key.rateLimit ?? tenant.rateLimit;
  return deadline(
    limiter.acquire({
      keyId: key.keyId,
      tenantId: key.tenantId,
      hash: key.hash,
      state: authStateOf(key),
      limit,
      keyQuota: key.monthlyQuota,
      tenantQuota: tenant.monthlyQuota,
      tenantLimit: tenant.tenantRateLimit ?? null,
      scope: call.scope,
      ip: call.where?.ip ?? null,
      resource: call.where?.resource ?? null,
      cost: call.cost,
      want: wanted(key.keyId, Math.max(call.cost, 1), limit.capacity, call.now),
      returned: call.returned,
      usage: takeUsage(key.keyId),
    }),
    LIMITER_TIMEOUT_MS,
    "the key's limiter",
  );
}

/** How many tokens to ask for: about one lease lifetime of this isolate's traffic for the key. */
function wanted(keyId: string, cost: number, capacity: number, now: number): number {
  const perLease = Math.ceil((rateOf(keyId, now) * LEASE_MS) / 1000);
  return Math.max(cost, Math.min(perLease, MAX_LEASE_TOKENS, capacity));
}
