// Isolate-local token leases. An isolate takes a small batch of tokens from the key's object and
// spends them here, so a hot key needs far less than one object call per request. Tokens are
// debited in the object when leased, so nothing is over-admitted; what is left when a lease
// expires (at most LEASE_MS) goes back with the next call. A lease also carries the object's
// authoritative scopes, so a revocation or scope change is enforced within LEASE_MS everywhere.
import type { KeySnapshot, TenantSnapshot } from "../keys/snapshot.ts";
import { LEASE_MS, MAX_LEASE_TOKENS, USAGE_REPORT_MS } from "./lease-policy.ts";
import type { AcquireResult, AuthState, LimitView } from "./protocol.ts";
import { isEmpty, merge, record, type UsageReport } from "./usage.ts";

type Lease = {
  hash: string;
  tokens: number;
  expiresAt: number;
  scopes: string[];
  view: LimitView;
};

type KeyTraffic = { windowStart: number; count: number; rate: number };

const leases = new Map<string, Lease>();
const traffic = new Map<string, KeyTraffic>();
const pendingUsage = new Map<string, { report: UsageReport; since: number }>();
const inflight = new Map<string, Promise<AcquireResult>>();

/** Dropped at once by the isolate that revokes or changes a key. */
export function dropLease(keyId: string): void {
  leases.delete(keyId);
}

/** For tests that play another isolate: no lease held (pending usage is kept, to be carried). */
export function resetLeases(): void {
  leases.clear();
  traffic.clear();
  inflight.clear();
}

export type Spent = { view: LimitView; remaining: number; scopes: string[] };

/** Spend from the local lease if it covers the cost. */
export function spendLocal(keyId: string, hash: string, cost: number, now: number, count = true): Spent | null {
  if (count) countTraffic(keyId, now);
  const lease = leases.get(keyId);
  if (!lease || lease.hash !== hash || lease.expiresAt <= now || lease.tokens < cost) return null;
  lease.tokens -= cost;
  return { view: lease.view, remaining: lease.view.tokens + lease.tokens, scopes: lease.scopes };
}

/** How many tokens to ask for: about one lease lifetime of this isolate's traffic for the key. */
function wanted(keyId: string, cost: number, capacity: number, now: number): number {
  const t = traffic.get(keyId);
  if (!t) return cost;
  // The last full window's rate, or the current window's if traffic is picking up.
  const current = (t.count * 1000) / Math.max(now - t.windowStart, MIN_RATE_WINDOW_MS);
  const perLease = Math.ceil((Math.max(t.rate, current) * LEASE_MS) / 1000);
  return Math.max(cost, Math.min(perLease, MAX_LEASE_TOKENS, capacity));
}

/** Below this, a window is too short to tell a rate from a coincidence. */
const MIN_RATE_WINDOW_MS = 100;

function countTraffic(keyId: string, now: number): void {
  let t = traffic.get(keyId);
  if (!t) traffic.set(keyId, (t = { windowStart: now, count: 0, rate: 0 }));
  t.count++;
  const elapsed = now - t.windowStart;
  if (elapsed >= LEASE_MS) {
    const observed = (t.count * 1000) / elapsed;
    t.rate = t.rate === 0 ? observed : 0.5 * t.rate + 0.5 * observed;
    t.windowStart = now;
    t.count = 0;
  }
}

export type Limiter = { acquire(req: import("./protocol.ts").AcquireRequest): Promise<AcquireResult> };

export function authStateOf(key: KeySnapshot): AuthState {
  return {
    version: key.version,
    revokedAt: key.revokedAt,
    enabled: key.enabled,
    expiresAt: key.expiresAt,
    scopes: key.scopes,
    secrets: { [key.hash]: key.secretExpiresAt },
  };
}

/**
 * Ask the key's object for a lease. Concurrent requests of one isolate for one key share a single
 * call; each then tries the local lease again.
 */
export async function acquireLease(
  limiter: Limiter,
  key: KeySnapshot,
  tenant: TenantSnapshot,
  cost: number,
  now: number,
): Promise<AcquireResult> {
  const running = inflight.get(key.keyId);
  if (running) {
    const result = await running.catch(() => null);
    if (result?.ok) {
      const spent = spendLocal(key.keyId, key.hash, cost, Date.now(), false);
      if (spent) return { ...result, granted: 0, scopes: spent.scopes, tokens: spent.remaining };
    }
  }
  const old = leases.get(key.keyId);
  const returned = old?.tokens ?? 0; // same key, same bucket, whichever secret leased them
  leases.delete(key.keyId);
  const usage = takeUsage(key.keyId);
  const limit = key.rateLimit ?? tenant.rateLimit;
  const call = limiter.acquire({
    keyId: key.keyId,
    tenantId: key.tenantId,
    hash: key.hash,
    state: authStateOf(key),
    limit,
    keyQuota: key.monthlyQuota,
    tenantQuota: tenant.monthlyQuota,
    cost,
    want: wanted(key.keyId, cost, limit.capacity, now),
    returned,
    usage,
  });
  inflight.set(key.keyId, call);
  try {
    const result = await call;
    if (result.ok) {
      // A concurrent call may have set a lease meanwhile: keep its tokens rather than strand them.
      const other = leases.get(key.keyId);
      const kept = other && other.expiresAt > Date.now() ? other.tokens : 0;
      const leftover = result.granted - cost + kept;
      leases.set(key.keyId, {
        hash: key.hash,
        tokens: leftover,
        expiresAt: now + result.leaseMs,
        scopes: result.scopes,
        view: result,
      });
      return { ...result, tokens: result.tokens + leftover };
    }
    if (result.reason === "burst") {
      // The object is out, but a concurrent call of this isolate may just have leased tokens.
      const spent = spendLocal(key.keyId, key.hash, cost, Date.now(), false);
      if (spent) return { ...result, ok: true, granted: 0, leaseMs: 0, scopes: spent.scopes, tokens: spent.remaining };
    }
    return result;
  } catch (err) {
    if (usage) restoreUsage(key.keyId, usage);
    throw err;
  } finally {
    if (inflight.get(key.keyId) === call) inflight.delete(key.keyId);
  }
}

// ---- usage, piggybacked on lease calls ----

export function recordUsage(keyId: string, route: string, status: number, now: number): void {
  let p = pendingUsage.get(keyId);
  if (!p) pendingUsage.set(keyId, (p = { report: { rows: {}, lastUsedAt: 0 }, since: now }));
  record(p.report, now, route, status);
}

function takeUsage(keyId: string): UsageReport | null {
  const p = pendingUsage.get(keyId);
  pendingUsage.delete(keyId);
  return p && !isEmpty(p.report) ? p.report : null;
}

function restoreUsage(keyId: string, report: UsageReport): void {
  const p = pendingUsage.get(keyId);
  if (p) merge(p.report, report);
  else pendingUsage.set(keyId, { report, since: Date.now() });
}

/** Usage that has waited too long for a lease call to carry it (a key gone quiet in this isolate). */
export function overdueUsage(keyId: string, now: number): UsageReport | null {
  const p = pendingUsage.get(keyId);
  if (!p || now - p.since < USAGE_REPORT_MS) return null;
  return takeUsage(keyId);
}
