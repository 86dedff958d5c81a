// The admin API's wire shapes, as far as the CLI reads them (see src/admin/schemas.ts).
import type { RateLimit } from "../core/output.ts";

export type Tenant = {
  id: string;
  name: string;
  slug: string;
  plan: string;
  active: boolean;
  overrides: { rateLimit: RateLimit | null; monthlyQuota: number | null; maxKeys: number | null };
  effective: { rateLimit: RateLimit; monthlyQuota: number | null; maxKeys: number };
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
  start: string;
  hint: string;
  rateLimit: RateLimit | null;
  monthlyQuota: number | null;
  expiresAt: string | null;
  enabled: boolean;
  revokedAt: string | null;
  revokedBy: string | null;
  revokeReason: string | null;
  createdAt: string;
  createdBy: string | null;
  updatedAt: string;
  lastUsedAt: string | null;
};

/** A key as returned by create and roll: the only responses that carry a secret. */
export type KeyWithSecret = Key & { key: string; previousSecretExpiresAt?: string };

export type Page<T> = { data: T[]; nextCursor: string | null };
