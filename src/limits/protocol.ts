// What an isolate and a key's Durable Object say to each other. Denials are results, not throws
// (a throwing RPC method leaks an unhandled rejection in the test runner: workers-sdk #14736).
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
};

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
  /** The scope the route needs (null: any valid key). Checked before anything is spent. */
  scope: string | null;
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
};

export type AuthRefusal = "revoked" | "disabled" | "expired" | "unknown-secret";

export type Grant = { ok: true; leaseId: string; granted: number; leaseMs: number; scopes: string[] } & LimitView;

export type LimitRefusal = { ok: false; reason: "burst" | "month"; retryAfterMs: number } & LimitView;

export type AcquireResult =
  | Grant
  | LimitRefusal
  | { ok: false; reason: AuthRefusal }
  | { ok: false; reason: "scope"; scopes: string[] }
  /** The tenant's object could not be reached: nothing was spent. */
  | { ok: false; reason: "unavailable" };
