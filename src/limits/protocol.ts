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

export type AcquireRequest = {
  keyId: string;
  tenantId: string;
  hash: string;
  /** The isolate's cached view; adopted only if the object has none or an older one. */
  state: AuthState;
  limit: RateLimit;
  keyQuota: number | null;
  tenantQuota: number | null;
  cost: number;
  /** How many tokens the isolate would like to hold for the lease (≥ cost). */
  want: number;
  /** Tokens of an earlier lease that expired unused: credited back. */
  returned: number;
  usage: UsageReport | null;
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

export type AcquireResult =
  | ({ ok: true; granted: number; leaseMs: number; scopes: string[] } & LimitView)
  | ({ ok: false; reason: AuthRefusal } & Partial<LimitView>)
  | ({ ok: false; reason: "burst" | "month"; retryAfter: number } & LimitView);
