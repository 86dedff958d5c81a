// What an isolate and a key's Durable Object say to each other. Denials are results, not throws
// (a throwing RPC method leaks an unhandled rejection in the test runner: workers-sdk #14736).
import type { ApiKeyRow, KeySecretRow } from "../db/schema.ts";
import type { KeyRules, ResourceRef } from "../keys/access-rules.ts";
import { rulesOfRow } from "../keys/snapshot.ts";
import type { RateLimit } from "../tenants/plans.ts";
import type { UsageReport } from "./usage.ts";

/** The authorization facts the object enforces. Pushed on every admin change; `version` orders them. */
export type AuthState = {
  version: number;
  revokedAt: number | null;
  enabled: boolean;
  expiresAt: number | null;
  scopes: string[];
  /** Secret hash → the deadline a roll gave it (null: no deadline). */
  secrets: Record<string, number | null>;
  /** Resources and networks (absent from objects and caches older than rules: none). */
  rules?: KeyRules;
};

/** The state pushed to a key's object (`configure`) after an admin change, as D1 holds it. */
export function authStateOfRow(key: ApiKeyRow, secrets: Pick<KeySecretRow, "hash" | "expiresAt">[]): AuthState & { keyId: string; tenantId: string } {
  return {
    keyId: key.id,
    tenantId: key.tenantId,
    version: key.updatedAt,
    revokedAt: key.revokedAt,
    enabled: key.enabled,
    expiresAt: key.expiresAt,
    scopes: key.scopes,
    secrets: Object.fromEntries(secrets.map((s) => [s.hash, s.expiresAt])),
    rules: rulesOfRow(key),
  };
}

/** What is left of a lease the isolate gives up: credited back to the bucket and the quotas. */
export type Returned = { leaseId: string; tokens: number; month: string };

export type AcquireRequest = {
  keyId: string;
  tenantId: string;
  hash: string;
  /** The isolate's cached view; adopted only if the object has none or an older one. */
  state: AuthState;
  limit: RateLimit;
  keyQuota: number | null;
  tenantQuota: number | null;
  /** The bucket all of the tenant's keys share (null: none). */
  tenantLimit: RateLimit | null;
  /** The scope the route needs (null: any valid key). Checked before anything is spent. */
  scope: string | null;
  /** The client's address and the resource the request touches: the key's rules are checked too. */
  ip?: string | null;
  resource?: ResourceRef | null;
  cost: number;
  /** How many tokens the isolate would like to hold for the lease (≥ cost). */
  want: number;
  returned: Returned | null;
  /** Counts since the isolate's last call; `id` makes a resent report count once. */
  usage: (UsageReport & { id: string }) | null;
};

export type QuotaView = { policy: "month"; limit: number; remaining: number; resetSeconds: number };

export type LimitView = {
  limit: RateLimit;
  /** Tokens left in the object's bucket after this decision. */
  tokens: number;
  /** Seconds until the bucket has one more token (0 when full). */
  nextTokenSeconds: number;
  quota: QuotaView | null;
  /** The tenant's shared bucket as the tenant's object last saw it, when it has one. */
  tenant: BucketView | null;
};

export type BucketView = { limit: RateLimit; tokens: number; nextTokenSeconds: number };

export type AuthRefusal = "revoked" | "disabled" | "expired" | "unknown-secret";

export type Grant = { ok: true; leaseId: string; granted: number; leaseMs: number; scopes: string[]; rules?: KeyRules } & LimitView;

/** burst: the key's bucket; tenant: the bucket the tenant's keys share; month: a monthly quota. */
export type LimitRefusal = { ok: false; reason: "burst" | "tenant" | "month"; retryAfterMs: number } & LimitView;

export type AcquireResult =
  | Grant
  | LimitRefusal
  | { ok: false; reason: AuthRefusal }
  | { ok: false; reason: "scope"; scopes: string[] }
  /** The key's own rules refuse the client's network or the resource. */
  | { ok: false; reason: "ip"; verdict: "denied" | "not-allowed" | "no-address" }
  | { ok: false; reason: "resource"; type: string }
  /** The tenant's object could not be reached: nothing was spent. */
  | { ok: false; reason: "unavailable" };

/** A key's object asking the tenant's for its share of a lease (bucket and quota in one call). */
export type TenantTake = {
  month: string;
  want: number;
  cost: number;
  leaseId: string;
  quota: { limit: number; returned: number } | null;
  bucket: RateLimit | null;
  /** A lease the isolate gave back: what it still holds returns to the tenant's bucket too. */
  returned: { leaseId: string; tokens: number } | null;
};

export type TenantShare = {
  granted: number;
  refusedBy: "tenant" | "month" | null;
  retryAfterMs: number;
  quotaRemaining: number | null;
  bucket: BucketView | null;
};
