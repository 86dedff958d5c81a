// The admin API's wire shapes, as far as the CLI reads them (see src/admin/schemas.ts).
import type { RateLimit } from "../core/output.ts";

export type Tenant = {
  id: string;
  name: string;
  slug: string;
  plan: string;
  active: boolean;
  /** Contact and notes: newer gateways only. */
  email?: string | null;
  description?: string | null;
  /** tenantRateLimit: the bucket all of the tenant's keys share (newer gateways only). */
  overrides: { rateLimit: RateLimit | null; tenantRateLimit?: RateLimit | null; monthlyQuota: number | null; maxKeys: number | null };
  effective: { rateLimit: RateLimit; tenantRateLimit?: RateLimit; monthlyQuota: number | null; maxKeys: number };
  /** USD per 1,000 tokens, the tenant's own or its plan's, and this month's cost (newer gateways only). */
  pricePer1kTokens?: number;
  priceSource?: "tenant" | "plan";
  costUsdMonthToDate?: number;
  /** Networks every key of the tenant is held to (newer gateways only; null: no rule). */
  allowedIps?: string[] | null;
  deniedIps?: string[] | null;
  createdAt: string;
  updatedAt: string;
};

export type Key = {
  id: string;
  tenantId: string;
  name: string;
  description: string | null;
  environment: "live" | "test";
  scopes: string[];
  /** null on a deleted key's tombstone: its secrets are erased. */
  start: string | null;
  hint: string | null;
  rateLimit: RateLimit | null;
  monthlyQuota: number | null;
  /** Access rules (newer gateways only; null: no rule). */
  resources?: Record<string, string[]> | null;
  allowedIps?: string[] | null;
  deniedIps?: string[] | null;
  expiresAt: string | null;
  enabled: boolean;
  revokedAt: string | null;
  revokedBy: string | null;
  revokeReason: string | null;
  createdAt: string;
  createdBy: string | null;
  updatedAt: string;
  lastUsedAt: string | null;
  /** Set on a deleted key's tombstone (newer gateways only). */
  deletedAt?: string | null;
  deletedBy?: string | null;
};

/** A key as returned by create and roll: the only responses that carry a secret. */
export type KeyWithSecret = Key & { key: string; previousSecretExpiresAt?: string };

export type Page<T> = { data: T[]; nextCursor: string | null };

export type UsageCounts = {
  requests: number;
  refused: number;
  status2xx: number;
  status3xx: number;
  status4xx: number;
  status5xx: number;
};

/** GET /v1/usage (keyId absent) and GET /v1/keys/{id}/usage (tenantId absent). */
export type Usage = {
  keyId?: string;
  tenantId?: string | null;
  lastUsedAt?: string | null;
  from: string;
  to: string;
  /** cost (tokens) and costUsd: newer gateways only. */
  totals: UsageCounts & { cost?: number; costUsd?: number };
  days: (UsageCounts & { day: string })[];
  routes: (UsageCounts & { route: string })[];
};

export type AuditEntry = {
  id: string;
  tenantId: string;
  actorKeyId: string | null;
  actorTenantId: string | null;
  action: string;
  targetType: "tenant" | "key" | "alert";
  targetId: string;
  ip: string | null;
  requestId: string | null;
  details: Record<string, unknown> | null;
  at: string;
};

export type PermissionSet = { name: string; description: string; scopes: string[] };

/** GET /v1/alerts/{id}; create and rotate-secret add `secret`, the only responses that carry it. */
export type Alert = {
  id: string;
  tenantId: string | null;
  name: string;
  metric: string;
  threshold: number;
  windowMinutes: number;
  webhookUrl: string;
  enabled: boolean;
  state: "ok" | "firing";
  lastValue: number | null;
  lastEvaluatedAt: string | null;
  createdAt: string;
  createdBy: string | null;
  updatedAt: string;
};
export type AlertWithSecret = Alert & { secret: string };

export type AlertEvent = {
  id: string;
  ruleId: string;
  tenantId: string | null;
  type: "alert.firing" | "alert.resolved";
  value: number;
  threshold: number;
  windowMinutes: number;
  at: string;
  delivery: "pending" | "delivered" | "failed";
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
};
